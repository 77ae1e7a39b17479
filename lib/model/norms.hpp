// The normalization kinds `model.norm` can name, and the config -> layer options mapping: the one
// place that knows both the `norm` config section and the norm layers' options structs. Adding a
// kind = one layer file + one entry in norms.cpp. "none" is always valid and builds no layer.
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

// A norm layer of `kind` over `channels` features/channels with the options `config` gives;
// relu: the norm applies ReLU to its output (only where norm_applies_relu(kind); Error otherwise:
// batch norm fuses the two where oneDNN has a fast kernel, group norm in its own kernel). Throws
// ConfigError for an unknown kind; nullptr for "none". The config was checked by the schema; a
// value out of range anyway throws the layer's OptionError.
std::unique_ptr<Layer> make_norm(const std::string& kind, std::int64_t channels, const NormConfig& config,
                                 bool relu, Rng& rng);

// Whether a norm of `kind` can apply the ReLU that follows it itself (ConfigError: unknown kind).
bool norm_applies_relu(const std::string& kind);

}  // namespace bnlab
