#include "model/norms.hpp"

#include <functional>
#include <utility>

#include "core/errors.hpp"
#include "layers/batch_norm.hpp"
#include "layers/batch_renorm.hpp"
#include "layers/ghost_batch_norm.hpp"
#include "layers/group_norm.hpp"
#include "layers/layer_norm.hpp"
#include "layers/noisy_batch_norm.hpp"

namespace bnlab {

namespace {
using Factory = std::function<std::unique_ptr<Layer>(std::int64_t, const NormConfig&, bool, Rng&)>;

// One entry per norm kind: name -> how its options come from the config.
const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> table = {
      {"none", [](std::int64_t, const NormConfig&, bool, Rng&) { return std::unique_ptr<Layer>(); }},
      {"batch",
       [](std::int64_t c, const NormConfig& cfg, bool relu, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<BatchNorm>(c, BatchNormOptions{cfg.eps, cfg.momentum, relu});
       }},
      {"layer",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<LayerNorm>(c, LayerNormOptions{cfg.eps});
       }},
      {"group",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<GroupNorm>(c, GroupNormOptions{cfg.eps, cfg.group_size});
       }},
      {"batch_renorm",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<BatchRenorm>(
             c, BatchRenormOptions{cfg.eps, cfg.momentum, cfg.renorm_rmax, cfg.renorm_dmax, cfg.renorm_warmup_steps});
       }},
      {"ghost_batch",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<GhostBatchNorm>(c, GhostBatchNormOptions{cfg.eps, cfg.momentum, cfg.ghost_batch_size});
       }},
      {"noisy_batch",
       [](std::int64_t c, const NormConfig& cfg, bool, Rng& rng) -> std::unique_ptr<Layer> {
         return std::make_unique<NoisyBatchNorm>(
             c,
             NoisyBatchNormOptions{cfg.eps, cfg.momentum, cfg.noise_shift_range, cfg.noise_scale_max,
                                   cfg.noise_shift_spread, cfg.noise_scale_std},
             rng.next());
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

std::unique_ptr<Layer> make_norm(const std::string& kind, std::int64_t channels, const NormConfig& config, bool relu,
                                 Rng& rng) {
  for (const auto& [name, factory] : registry())
    if (name == kind) return factory(channels, config, relu, rng);
  throw ConfigError("model.norm: unknown norm '" + kind + "'");
}

}  // namespace bnlab
