// A network described as data (docs/networks.md: "model.layers"): the entries of `model.layers`, or of the
// list a preset (resnet, vgg; presets.hpp) expands to, parsed into LayerSpecs. One entry is an
// object with exactly one type key and an optional "name":
//   {"conv": {"out": 16, "kernel": 3, "stride": 1, "padding": 1, "bias": null}, "name": "stem"}
//   {"linear": {"out": 100}}            {"norm": {"kind": "group"}}     {"activation": {"function": "tanh"}}
//   {"max_pool": {"kernel": 2}}         {"avg_pool": {"kernel": 2, "stride": 2}}
//   {"global_avg_pool": {}}             {"dropout": {"p": 0.5}}         {"flatten": {}}
//   {"sequence": [entries]}             a named group of layers ("stage2"), a path level
//   {"residual": {"body": [entries], "shortcut": "auto", "activation": "relu"}}
//   {"branches": [[entries], [entries], ...]}
// Unset options take their defaults from the model config (norm kind from model.norm, activation
// from model.activation, dropout p from model.dropout) when the network is planned
// (layer_plan.hpp): that is how sweeping model.norm changes every norm of a layers network.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

enum class LayerType {
  conv, linear, norm, activation, max_pool, avg_pool, global_avg_pool, dropout, flatten,
  sequence, residual, branches
};

struct LayerSpec {
  LayerType type = LayerType::flatten;
  std::string name;                   // the entry's "name" (empty: kind + count, like "conv2d2")
  std::string json_path;              // where it was written: "model.layers[4].residual.body[1]"

  // ---- as written (0 / empty / unset: the default) ----
  std::int64_t out = 0;               // conv: output channels; linear: output features
  std::int64_t kernel = 0;            // conv (3), pools (2)
  std::int64_t stride = 0;            // conv (1), pools (the kernel)
  std::optional<std::int64_t> padding;  // conv ((kernel - 1) / 2: the size kept at stride 1)
  std::optional<bool> bias;           // conv, linear (unset: none when a norm follows)
  std::string kind;                   // norm: a model.norm kind; activation: relu | sigmoid | tanh
  std::optional<double> p;            // dropout: drop probability
  std::vector<LayerSpec> body;        // sequence, residual
  std::string shortcut = "auto";      // residual: auto (identity when the shapes match) | identity | projection
  bool relu_after_add = true;         // residual: "activation": "relu" (default) or "none"
  std::vector<std::vector<LayerSpec>> branches;

  // ---- filled by plan_layers (layer_plan.hpp) ----
  bool planned = false;
  bool skipped = false;               // builds no layer: norm "none", dropout p 0, a ReLU a norm applies
  std::string child_name;             // its name in its Sequence (the last part of its path)
  std::string layer_kind;             // Layer::kind() of what it builds ("conv2d", "batch_norm", ...)
  Dims in_shape, out_shape;           // one sample's: (C, H, W) or (F)
  bool norm_applies_relu = false;     // norm: applies the ReLU that follows it (that one is skipped)
  bool zero_init = false;             // norm: gamma starts at 0 (model.zero_init_residual)
  std::vector<LayerSpec> projection;  // residual: the shortcut's conv1x1 + norm (empty: identity)
};

// Parses a JSON list of entries; `path` names the list in messages ("model.layers"). Appends one
// "<json path>: <problem>" line per problem (unknown types and options with the closest valid one,
// wrong types, out of range values) and returns what parsed.
std::vector<LayerSpec> parse_layers(const nlohmann::json& list, const std::string& path,
                                    std::vector<std::string>& problems);

// The entry type names, in the order README lists them.
const std::vector<std::string>& layer_type_names();

// README's table of entry types with their options and defaults (part of `bnlab schema`).
std::string layer_reference_markdown();

}  // namespace bnlab
