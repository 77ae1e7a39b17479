#include "model/norms.hpp"

#include <algorithm>
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

struct Kind {
  std::string name;
  bool applies_relu;  // the layer has a relu option (the factory passes it on)
  Factory make;
};

// One entry per norm kind: name -> how its options come from the config.
const std::vector<Kind>& registry() {
  static const std::vector<Kind> table = {
      {"none", false, [](std::int64_t, const NormConfig&, bool, Rng&) { return std::unique_ptr<Layer>(); }},
      {"batch", true,
       [](std::int64_t c, const NormConfig& cfg, bool relu, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<BatchNorm>(c, BatchNormOptions{cfg.eps, cfg.momentum, relu});
       }},
      {"layer", false,
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<LayerNorm>(c, LayerNormOptions{cfg.eps});
       }},
      {"group", true,
       [](std::int64_t c, const NormConfig& cfg, bool relu, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<GroupNorm>(c, GroupNormOptions{cfg.eps, cfg.group_size, relu});
       }},
      {"batch_renorm", false,
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<BatchRenorm>(
             c, BatchRenormOptions{cfg.eps, cfg.momentum, cfg.renorm_rmax, cfg.renorm_dmax, cfg.renorm_warmup_steps});
       }},
      {"ghost_batch", false,
       [](std::int64_t c, const NormConfig& cfg, bool, Rng&) -> std::unique_ptr<Layer> {
         return std::make_unique<GhostBatchNorm>(c, GhostBatchNormOptions{cfg.eps, cfg.momentum, cfg.ghost_batch_size});
       }},
      {"noisy_batch", false,
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
    for (const auto& kind : registry()) out.push_back(kind.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& lstm_norm_kinds() {
  static const std::vector<std::string> names = {"none", "batch_input", "batch", "layer"};
  return names;
}

const std::vector<std::string>& model_norm_values() {
  static const std::vector<std::string> names = [] {
    auto out = norm_kinds();
    for (const auto& name : lstm_norm_kinds())
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    return out;
  }();
  return names;
}

namespace {
const Kind& find_kind(const std::string& name) {
  for (const auto& kind : registry())
    if (kind.name == name) return kind;
  throw ConfigError("model.norm: unknown norm '" + name + "'");
}
}  // namespace

bool norm_applies_relu(const std::string& kind) { return find_kind(kind).applies_relu; }

std::unique_ptr<Layer> make_norm(const std::string& kind, std::int64_t channels, const NormConfig& config, bool relu,
                                 Rng& rng) {
  const Kind& k = find_kind(kind);
  if (relu && !k.applies_relu) throw Error("make_norm: norm '" + kind + "' cannot apply ReLU (ask norm_applies_relu)");
  return k.make(channels, config, relu, rng);
}

}  // namespace bnlab
