#include "model/norms.hpp"

#include <functional>
#include <utility>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/group_norm.hpp"
#include "layers/layer_norm.hpp"
#include "layers/batch_renorm.hpp"
#include "layers/ghost_batch_norm.hpp"
#include "layers/noisy_batch_norm.hpp"

namespace bnlab {

namespace {
using Factory = std::function<std::unique_ptr<Layer>(std::int64_t, const NormConfig&, bool, Rng&)>;

// One entry per norm kind: name -> how to build it.
const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> table = {
      {"none", [](std::int64_t, const NormConfig&, bool, Rng&) { return std::unique_ptr<Layer>(); }},
      {"batch",
       [](std::int64_t c, const NormConfig& cfg, bool fuse_relu, Rng&) {
         return std::unique_ptr<Layer>(std::make_unique<BatchNorm>(c, cfg, fuse_relu));
       }},
      {"layer",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) {
         return std::unique_ptr<Layer>(std::make_unique<LayerNorm>(c, cfg));
       }},
      {"group",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) {
         return std::unique_ptr<Layer>(std::make_unique<GroupNorm>(c, cfg));
       }},
      {"batch_renorm",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) {
         return std::unique_ptr<Layer>(std::make_unique<BatchRenorm>(c, cfg));
       }},
      {"ghost_batch",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) {
         return std::unique_ptr<Layer>(std::make_unique<GhostBatchNorm>(c, cfg));
       }},
      {"noisy_batch",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng& rng) {
         return std::unique_ptr<Layer>(std::make_unique<NoisyBatchNorm>(c, cfg, rng.next()));
       }},
  };
  return table;
}
}  // namespace

const std::vector<std::string>& norm_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, factory] : registry()) out.push_back(name);
    return out;
  }();
  return names;
}

std::unique_ptr<Layer> make_norm(const std::string& kind, std::int64_t channels, const NormConfig& config,
                                 bool fuse_relu, Rng& rng) {
  for (const auto& [name, factory] : registry())
    if (name == kind) return factory(channels, config, fuse_relu, rng);
  throw ConfigError("model.norm: unknown norm '" + kind + "'");
}

}  // namespace bnlab
