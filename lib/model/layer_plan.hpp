// Plans a network of layer entries (layer_spec.hpp) before anything is built: fills in the
// defaults from the model config, decides what each entry builds (a norm "none" builds nothing; a
// pre-activation batch or group norm applies the ReLU after it, as builder.hpp describes; a
// residual block's shortcut is the identity or a projection), names every layer as its Sequence
// will (kind + count unless the entry names it), and infers every shape from the input's. The
// classifier (a flatten if needed, then linear to the classes) is appended, as mlp and cnn do.
// `bnlab validate` (through the schema), the memory estimate, `bnlab model` and the builder all
// read the same plan, so a shape error is found before a run and names its JSON path:
//   "model.layers[4].residual: body gives 32x14x14, shortcut 16x28x28"
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/layer_spec.hpp"
#include "model/model_config.hpp"

namespace bnlab {

// Plans `layers` (in place) for samples of shape `input` ((C, H, W), or (F) for an mlp's flat input). Throws ConfigError naming
// the entry's JSON path at the first shape problem (a conv after flatten, a window larger than
// its input, a residual whose body and shortcut differ, branches of different sizes, group norm
// over a width its group size does not divide).
void plan_layers(std::vector<LayerSpec>& layers, const ModelConfig& model, const NormConfig& norm,
                 const Dims& input, std::int64_t num_classes);

// One row per layer of a planned network, in forward order: every leaf layer, and after the
// layers of a residual or branches block a row for its add or concat (FLOPs counted as
// multiply-adds x 2 for conv and linear; pooling one per window value; anything else one per
// output value).
struct LayerRow {
  std::string path;           // "stage2.block1.body.conv2d1"; a block's own row: the block's path
  std::string kind;           // Layer::kind(), "+relu" when a norm applies the ReLU; "residual" / "branches"
  Dims shape;                 // output, one sample
  std::int64_t params = 0;
  double flops = 0;           // per sample, forward
  double in_values = 0;       // floats per sample read (both inputs of an add)
  double out_values = 0;      // floats per sample written
  double extra_values = 0;    // what else training keeps per sample (conv's reordered input, pooling's workspace, dropout's mask)
};
std::vector<LayerRow> layer_rows(const std::vector<LayerSpec>& planned);

// "16x28x28" or "100".
std::string shape_text(const Dims& shape);

}  // namespace bnlab
