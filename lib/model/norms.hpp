// The normalization layers `model.norm` can name, built from the config (the mapping of config
// onto layers belongs to lib/model). Adding a kind = one layer file + one entry in norms.cpp.
// "none" is always valid and builds no layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "layers/layer.hpp"
#include "model/model_config.hpp"
#include "model/norm_kinds.hpp"

namespace bnlab {

// A norm layer over `channels` features/channels; throws ConfigError for an unknown kind.
// Returns nullptr for "none".
std::unique_ptr<Layer> make_norm(const std::string& kind, std::int64_t channels,
                                 const NormConfig& config, bool fuse_relu, Rng& rng);

}  // namespace bnlab
