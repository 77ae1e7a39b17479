// The networks a config names instead of listing their layers (docs/networks.md: "model.arch"). Each preset
// expands to a list of layer entries (layer_spec.hpp), the same JSON a user could write under
// model.layers, so presets and hand-written lists share one parser, planner and builder:
//
// resnet (He et al. 2016, "Deep Residual Learning for Image Recognition", section 4.2, the CIFAR
//   family): depth 6n + 2 = a conv3x3 stem, three stages of n residual blocks of two conv3x3 at
//   widths 16, 32, 64 (times model.width_multiplier), the first block of stages 2 and 3 with
//   stride 2, global average pooling and the classifier. Shortcuts are the paper's option B: the
//   identity where the shape is kept, a projection (1x1 conv with stride 2 + norm) where it
//   changes. model.block "post_activation": conv-norm-relu-conv-norm, add, relu (the paper);
//   "pre_activation" (He et al. 2016, "Identity Mappings in Deep Residual Networks"):
//   norm-relu-conv-norm-relu-conv, add with nothing after, one norm-relu after the last stage.
//   model.zero_init_residual starts each block's last norm scale at 0 (Goyal et al. 2017).
// vgg (Simonyan & Zisserman 2015): per entry c of model.channels a stage of
//   model.convs_per_stage x (conv3x3 c -> norm -> activation, in model.norm_position's order) and a
//   2x2 max pooling; then flatten, model.fc's hidden layers (linear -> norm -> activation ->
//   dropout) and the classifier.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "model/layer_plan.hpp"
#include "model/layer_spec.hpp"
#include "model/model_config.hpp"

namespace bnlab {

// The entries model.arch "resnet" or "vgg" expands to (model.layers itself for "layers"). mlp and
// cnn expand too, for `bnlab model`: builder.cpp keeps building them with its own walk (their
// numbers stay those of earlier versions bit for bit; a test builds both and compares). Throws
// ConfigError for an unknown arch and for a resnet depth that is not 6n + 2.
nlohmann::json preset_layers(const ModelConfig& model);

// The planned network of an arch "layers", "resnet" or "vgg" (layer_plan.hpp). Throws ConfigError
// with every parse problem, or the first shape problem, each naming its JSON path; a preset's
// paths start "model.arch 'resnet' layers[...]" (`bnlab model` prints the expanded list).
std::vector<LayerSpec> planned_layers(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                                      std::int64_t num_classes);

// The summary rows of any arch (layer_plan.hpp's layer_rows): an mlp's input is the flat image.
std::vector<LayerRow> model_rows(const ModelConfig& model, const NormConfig& norm, const Dims& input,
                                 std::int64_t num_classes);

// Whether `arch` is described by layer entries (layers, resnet, vgg) rather than mlp/cnn's own walk.
bool is_layers_arch(const std::string& arch);

}  // namespace bnlab
