// The config schema table: one line per key (path, struct member, allowed values, description)
// and the rules between keys. Adding a key to the config is one line in build_schema().
#include <algorithm>
#include <cstdint>

#include "experiment/config.hpp"
#include "experiment/limits.hpp"
#include "experiment/schema.hpp"
#include "model/norm_kinds.hpp"
#include "model/presets.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

// ---- from a struct member's C++ type to the schema's value type ------------------------------

template <class T> struct TypeOf;
template <> struct TypeOf<std::string> { static constexpr auto type = ValueType::String; };
template <> struct TypeOf<std::int64_t> { static constexpr auto type = ValueType::Integer; };
template <> struct TypeOf<double> { static constexpr auto type = ValueType::Number; };
template <> struct TypeOf<std::vector<std::int64_t>> { static constexpr auto type = ValueType::IntegerList; };
template <> struct TypeOf<json> { static constexpr auto type = ValueType::Object; };
template <> struct TypeOf<bool> { static constexpr auto type = ValueType::Boolean; };

template <class T> constexpr bool is_optional = false;
template <class T> constexpr bool is_optional<std::optional<T>> = true;

template <class T> json to_value(const T& v) { return json(v); }
template <class T> json to_value(const std::optional<T>& v) { return v ? json(*v) : json(nullptr); }
template <class T> void from_value(T& out, const json& j) { out = j.get<T>(); }
template <class T> void from_value(std::optional<T>& out, const json& j) {
  if (j.is_null()) out.reset(); else out = j.get<T>();
}

// A key inside a section: field("optimizer.lr", &RunConfig::optimizer, &OptimizerConfig::lr, ...).
template <class S, class T>
KeySpec field(std::string path, S RunConfig::*section, T S::*member, Constraint c, std::string description) {
  KeySpec spec{std::move(path), ValueType::Object, is_optional<T>, false, std::move(c), std::move(description),
               [section, member](const RunConfig& r) { return to_value((r.*section).*member); },
               [section, member](RunConfig& r, const json& j) { from_value((r.*section).*member, j); }};
  if constexpr (is_optional<T>) spec.type = TypeOf<typename T::value_type>::type;
  else spec.type = TypeOf<T>::type;
  return spec;
}

// A top-level key: top("name", &RunConfig::name, ...).
template <class T>
KeySpec top(std::string path, T RunConfig::*member, Constraint c, std::string description) {
  return KeySpec{std::move(path), TypeOf<T>::type, false, false, std::move(c), std::move(description),
                 [member](const RunConfig& r) { return to_value(r.*member); },
                 [member](RunConfig& r, const json& j) { from_value(r.*member, j); }};
}

// A key whose value is a JSON list checked by a rule (model.layers).
KeySpec list(KeySpec spec) {
  spec.type = ValueType::List;
  return spec;
}

KeySpec required(KeySpec spec) {
  spec.required = true;
  return spec;
}

// ---- constraints ------------------------------------------------------------------------------

Constraint any() { return {}; }
Constraint gt(double lo) { Constraint c; c.min = lo; c.min_open = true; return c; }
Constraint ge(double lo) { Constraint c; c.min = lo; return c; }
// in(lo, hi, "[)"): the brackets say which bounds are included.
Constraint in(double lo, double hi, std::string_view brackets) {
  Constraint c;
  c.min = lo;
  c.max = hi;
  c.min_open = brackets[0] == '(';
  c.max_open = brackets[1] == ')';
  return c;
}
Constraint one_of(std::vector<std::string> values) {
  Constraint c;
  c.choices = [values = std::move(values)] { return values; };
  return c;
}
Constraint one_of(const std::vector<std::string>& (*values)()) {
  Constraint c;
  c.choices = [values] { return values(); };
  return c;
}
Constraint filename() { Constraint c; c.filename_safe = true; return c; }

// The study figures scripts/plot.py knows (one function each in scripts/bnlab_plot/figures.py, which
// checks that the two lists agree).
const std::vector<std::string>& figure_names() {
  static const std::vector<std::string> names = {
      "convergence", "learning_rate", "initialization", "regularization", "batch_size", "batch_size_resnet",
      "interpretability", "ics", "landscape", "noisy_bn", "overhead", "rnn"};
  return names;
}

std::vector<KeySpec> build_schema() {
  using R = RunConfig;
  return {
      required(top("name", &R::name, filename(), "experiment name: results go to <out>/<name>/ (letters, digits, '_', '.', '-'; at most 100, the first not '.' or '-')")),
      top("description", &R::description, any(), "free text about the experiment; not part of the run id"),
      field("data.dataset", &R::data, &DataConfig::dataset, one_of({"fashion-mnist", "mnist", "synthetic"}), "training data: Debian's Fashion-MNIST, MNIST from data.dir, or generated"),
      field("data.dir", &R::data, &DataConfig::dir, any(), "folder with the four IDX(.gz) files (null: the dataset's default; required for mnist)"),
      field("data.train_size", &R::data, &DataConfig::train_size, ge(1), "use the first N training images (null: all)"),
      field("data.test_size", &R::data, &DataConfig::test_size, ge(1), "use the first N test images (null: all)"),
      field("data.val_size", &R::data, &DataConfig::val_size, ge(0), "hold out N training images (stratified by class, fixed seed) for validation: best_val_acc and steps_to_target use them; train_size subsets the rest (0: none)"),
      field("data.batching", &R::data, &DataConfig::batching, one_of({"shuffled", "by_class"}), "mini-batches: a new random order every epoch, or each from as few classes as possible"),
      field("model.arch", &R::model, &ModelConfig::arch, one_of({"mlp", "cnn", "lstm", "layers", "resnet", "vgg"}), "network: fully connected (hidden), convolutional (channels, then fc), recurrent (lstm_hidden, lstm_layers, sequence), a list of layer entries (layers), or a preset that expands to one (resnet: depth, width_multiplier, block, zero_init_residual; vgg: channels, convs_per_stage, fc); docs/networks.md"),
      field("model.hidden", &R::model, &ModelConfig::hidden, ge(1), "mlp: hidden layer widths ([] is logistic regression)"),
      field("model.channels", &R::model, &ModelConfig::channels, ge(1), "cnn: output channels of each conv3x3 -> norm -> activation -> maxpool2 block"),
      field("model.fc", &R::model, &ModelConfig::fc, ge(1), "cnn: widths of the fully connected layers after the convolutions"),
      field("model.activation", &R::model, &ModelConfig::activation, one_of({"relu", "sigmoid", "tanh"}), "nonlinearity after each hidden layer"),
      field("model.norm", &R::model, &ModelConfig::norm, one_of(&model_norm_values), "normalization after each hidden linear/conv layer (none: no layer); with arch lstm: none, batch_input (BN on the input path, Laurent et al.), batch (BN-LSTM, per-step statistics, Cooijmans et al.) or layer (LN-LSTM, Ba et al.)"),
      field("model.norm_position", &R::model, &ModelConfig::norm_position, one_of({"pre_activation", "post_activation"}), "norm before the activation (as in the paper) or after it"),
      field("model.dropout", &R::model, &ModelConfig::dropout, in(0, 1, "[)"), "drop probability after each hidden activation (0: no dropout)"),
      field("model.fuse_norm_relu", &R::model, &ModelConfig::fuse_norm_relu, any(), "a pre-activation batch or group norm applies a following ReLU itself (BN: as one oneDNN primitive where oneDNN has a fast (JIT) fused kernel; GN: in its own kernel) (false: a separate ReLU layer; same numbers)"),
      list(field("model.layers", &R::model, &ModelConfig::layers, any(), "layers: the network as a list of layer and block entries (docs/networks.md); the classifier is appended")),
      field("model.depth", &R::model, &ModelConfig::depth, ge(8), "resnet: layers with weights, 6n + 2 (n residual blocks per stage): 20, 32, 44, 56, 110"),
      field("model.width_multiplier", &R::model, &ModelConfig::width_multiplier, gt(0), "resnet: the stage widths 16, 32, 64 times this (rounded)"),
      field("model.block", &R::model, &ModelConfig::block, one_of({"post_activation", "pre_activation"}), "resnet: conv-norm-relu-conv-norm, add, relu (He et al. 2016a) or norm-relu-conv twice, add (2016b)"),
      field("model.zero_init_residual", &R::model, &ModelConfig::zero_init_residual, any(), "layers, resnet: the last norm of every residual block's body starts with scale 0 (Goyal et al. 2017)"),
      field("model.convs_per_stage", &R::model, &ModelConfig::convs_per_stage, ge(1), "vgg: conv3x3 -> norm -> activation layers per entry of channels, before its 2x2 max pooling"),
      field("model.lstm_hidden", &R::model, &ModelConfig::lstm_hidden, ge(1), "lstm: hidden units of each LSTM layer"),
      field("model.lstm_layers", &R::model, &ModelConfig::lstm_layers, ge(1), "lstm: stacked LSTM layers (the classifier reads the last one's final h)"),
      field("model.sequence", &R::model, &ModelConfig::sequence, one_of({"rows", "pixels", "permuted_pixels"}), "lstm: the image as a sequence: row by row (28 steps of 28), pixel by pixel (784 steps of 1), or pixel by pixel in a fixed random order"),
      field("model.permutation_seed", &R::model, &ModelConfig::permutation_seed, ge(0), "lstm, sequence permuted_pixels: seed of the pixel order (the same for every run with this seed)"),
      field("norm.eps", &R::norm, &NormConfig::eps, gt(0), "added to the variance before the square root"),
      field("norm.momentum", &R::norm, &NormConfig::momentum, in(0, 1, "[]"), "running = (1 - momentum) * running + momentum * batch statistic (PyTorch's meaning)"),
      field("norm.group_size", &R::norm, &NormConfig::group_size, ge(1), "group norm: channels per group"),
      field("norm.ghost_batch_size", &R::norm, &NormConfig::ghost_batch_size, ge(1), "ghost batch norm: samples per ghost batch"),
      field("norm.renorm_rmax", &R::norm, &NormConfig::renorm_rmax, ge(1), "batch renorm: r = sigma_batch / sigma_running is clipped to [1/rmax, rmax]"),
      field("norm.renorm_dmax", &R::norm, &NormConfig::renorm_dmax, ge(0), "batch renorm: d = (mu_batch - mu_running) / sigma_running is clipped to [-dmax, dmax]"),
      field("norm.renorm_warmup_steps", &R::norm, &NormConfig::renorm_warmup_steps, ge(0), "batch renorm: rmax ramps from 1 and dmax from 0 linearly over this many training steps (0: full range at once)"),
      field("norm.noise_shift_range", &R::norm, &NormConfig::noise_shift_range, ge(0), "noisy batch norm: each step's mean shift mu ~ U(-range, range)"),
      field("norm.noise_scale_max", &R::norm, &NormConfig::noise_scale_max, ge(1), "noisy batch norm: each step's mean scale sigma ~ U(1, max)"),
      field("norm.noise_shift_spread", &R::norm, &NormConfig::noise_shift_spread, ge(0), "noisy batch norm: per-channel shift ~ U(mu - spread, mu + spread)"),
      field("norm.noise_scale_std", &R::norm, &NormConfig::noise_scale_std, ge(0), "noisy batch norm: per-channel scale ~ N(sigma, std)"),
      field("init.scheme", &R::init, &InitConfig::scheme, one_of({"normal", "uniform", "xavier", "he"}), "weight initialization"),
      field("init.std", &R::init, &InitConfig::std, gt(0), "normal: standard deviation (required); uniform: half-width / sqrt(3)"),
      field("optimizer.lr", &R::optimizer, &OptimizerConfig::lr, gt(0), "learning rate of SGD (before lr_base_batch scaling)"),
      field("optimizer.momentum", &R::optimizer, &OptimizerConfig::momentum, in(0, 1, "[)"), "SGD momentum (0: plain SGD)"),
      field("optimizer.weight_decay", &R::optimizer, &OptimizerConfig::weight_decay, ge(0), "L2 penalty coefficient"),
      field("optimizer.lr_base_batch", &R::optimizer, &OptimizerConfig::lr_base_batch, ge(1), "when set, lr is scaled by batch_size / lr_base_batch (see lr_scaling)"),
      field("optimizer.lr_scaling", &R::optimizer, &OptimizerConfig::lr_scaling, one_of({"linear", "sqrt"}), "with lr_base_batch: lr * ratio or lr * sqrt(ratio)"),
      field("optimizer.warmup_epochs", &R::optimizer, &OptimizerConfig::warmup_epochs, ge(0), "linear lr warm-up over this many epochs' worth of steps (Goyal et al. 2017): step s of the first W uses lr * s / W (0: none)"),
      field("optimizer.schedule", &R::optimizer, &OptimizerConfig::schedule, one_of({"constant", "cosine"}), "after the warm-up: constant lr, or a cosine decay to 0 at the last step (PyTorch CosineAnnealingLR)"),
      field("train.batch_size", &R::train, &TrainConfig::batch_size, ge(1), "samples per mini-batch"),
      field("train.steps", &R::train, &TrainConfig::steps, in(1, kMaxSteps, "[]"), "training steps (exactly one of steps and epochs)"),
      field("train.epochs", &R::train, &TrainConfig::epochs, gt(0), "training epochs, may be fractional (exactly one of steps and epochs)"),
      field("train.eval_every", &R::train, &TrainConfig::eval_every, ge(1), "evaluate every N steps, and at the end"),
      field("train.seed", &R::train, &TrainConfig::seed, ge(0), "random seed of initialization, batch order and dropout"),
      field("train.target_accuracy", &R::train, &TrainConfig::target_accuracy, in(0, 1, "(]"), "accuracy that defines steps_to_target: on the validation set with data.val_size, else on the test set (null: not measured)"),
      field("train.divergence_loss", &R::train, &TrainConfig::divergence_loss, gt(0), "a training loss above this (or not finite) ends the run as diverged"),
      field("train.precise_bn_samples", &R::train, &TrainConfig::precise_bn_samples, ge(0), "after training, recompute each BN layer's running statistics over this many training images with the final weights (precise BN) and report test accuracy with them and with batch statistics (precise_*, batch_stats_* in runs.csv; precise_bn.csv per layer) (0: off)"),
      field("train.precise_bn_batch", &R::train, &TrainConfig::precise_bn_batch, ge(0), "precise BN: images per batch of the statistics pass (0: train.batch_size)"),
      field("train.max_memory_mb", &R::train, &TrainConfig::max_memory_mb, ge(1), "refuse a run whose estimated memory (model, batch, data) is above this many MB (null: the machine's memory); not part of the run id"),
      top("probes", &R::probes, any(), "probe name -> its settings (each probe checks its own); {} runs none"),
      field("plot.figure", &R::plot, &PlotConfig::figure, one_of(&figure_names), "the figure scripts/plot.py draws (null: final metric against a swept key, docs/plots.md); not part of the run id"),
  };
}

std::vector<ConfigRule> build_rules() {
  return {
      // The LSTM has its own norm variants (model/norm_kinds.hpp).
      {{"model.arch", "model.norm"},
       [](const RunConfig& c) -> std::optional<std::string> {
         const auto& lstm = lstm_norm_kinds();
         const bool lstm_norm = std::find(lstm.begin(), lstm.end(), c.model.norm) != lstm.end();
         if (c.model.arch == "lstm" && !lstm_norm)
           return "model.norm: '" + c.model.norm + "' has no LSTM variant; with model.arch 'lstm' use none, " +
                  "batch_input, batch or layer";
         const auto& plain = norm_kinds();
         if (c.model.arch != "lstm" && std::find(plain.begin(), plain.end(), c.model.norm) == plain.end())
           return "model.norm: '" + c.model.norm + "' (BN on an LSTM's input-to-hidden path) needs model.arch 'lstm'";
         return std::nullopt;
       }},
      {{"train.steps", "train.epochs"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.train.steps && c.train.epochs)
           return "train: steps and epochs are both set; set exactly one (the other null or left out)";
         if (!c.train.steps && !c.train.epochs) return "train: neither steps nor epochs is set; set exactly one";
         return std::nullopt;
       }},
      // Absurd lengths: epochs: 2e16 would overflow the step count into a run of 0 steps.
      {{"train.steps", "train.epochs", "train.batch_size", "data.dataset", "data.train_size", "data.val_size"},
       [](const RunConfig& c) { return length_problem(c); }},
      {{"train.precise_bn_samples", "train.precise_bn_batch", "train.batch_size"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.train.precise_bn_samples == 0) return std::nullopt;
         const std::int64_t batch = c.train.precise_bn_batch > 0 ? c.train.precise_bn_batch : c.train.batch_size;
         if (batch < 2)
           return "train.precise_bn_batch: batch statistics need batches of at least 2 images, got " + std::to_string(batch);
         if (c.train.precise_bn_samples < batch)
           return "train.precise_bn_samples: " + std::to_string(c.train.precise_bn_samples) +
                  " images are fewer than one batch of " + std::to_string(batch);
         return std::nullopt;
       }},
      // The validation set is held out of the training images and must leave some (validation_split.hpp).
      {{"data.dataset", "data.train_size", "data.val_size"},
       [](const RunConfig& c) { return validation_problem(c); }},
      // The memory a run needs, from the shapes: a 2,000,000-wide layer is refused here, not after
      // a minute of allocating (limits.hpp).
      {{"model.arch", "model.hidden", "model.channels", "model.fc", "model.norm", "model.norm_position",
        "model.dropout", "model.layers", "model.depth", "model.width_multiplier", "model.block",
        "model.convs_per_stage", "model.fuse_norm_relu", "norm.group_size", "model.lstm_hidden",
        "model.lstm_layers", "model.sequence", "train.batch_size",
        "train.max_memory_mb", "data.dataset", "data.train_size", "data.test_size", "data.val_size"},
       [](const RunConfig& c) { return layers_problem(c) ? std::nullopt : memory_problem(c); }},
      // A network of layer entries is parsed, planned and its shapes checked before anything runs
      // (model/layer_plan.hpp), for every combination of a sweep that touches what it reads.
      {{"model.arch", "model.layers", "model.depth", "model.width_multiplier", "model.block",
        "model.zero_init_residual", "model.convs_per_stage", "model.channels", "model.fc", "model.norm",
        "model.norm_position", "model.activation", "model.dropout", "model.fuse_norm_relu", "norm.group_size",
        "data.dataset"},
       [](const RunConfig& c) { return layers_problem(c); }},
      {{"init.scheme", "init.std"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.init.scheme == "normal" && !c.init.std) return "init.std: required when init.scheme is 'normal'";
         return std::nullopt;
       }},
      {{"data.dataset", "data.dir"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.data.dataset == "mnist" && !c.data.dir) return "data.dir: required when data.dataset is 'mnist'";
         return std::nullopt;
       }},
      {{"model.arch", "model.channels"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.model.arch == "cnn" && c.model.channels.empty())
           return "model.channels: must not be empty when model.arch is 'cnn'";
         return std::nullopt;
       }},
      // Group norm splits every normalized layer's width into whole groups (layers/group_norm.hpp).
      {{"model.norm", "norm.group_size", "model.arch", "model.hidden", "model.channels", "model.fc"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.model.norm != "group" || c.norm.group_size < 1) return std::nullopt;
         std::vector<std::pair<std::string, const std::vector<std::int64_t>*>> widths;
         if (c.model.arch == "mlp") widths = {{"model.hidden", &c.model.hidden}};
         if (c.model.arch == "cnn") widths = {{"model.channels", &c.model.channels}, {"model.fc", &c.model.fc}};
         for (const auto& [path, values] : widths)
           for (std::size_t i = 0; i < values->size(); ++i)
             if ((*values)[i] % c.norm.group_size != 0)
               return "norm.group_size: " + std::to_string(c.norm.group_size) + " does not divide the width " +
                      std::to_string((*values)[i]) + " of " + path + "[" + std::to_string(i) +
                      "] (model.norm 'group' needs whole groups of channels)";
         return std::nullopt;
       }},
      // Ghost BN cannot normalize a last ghost batch of one sample on (N, C) data, which an mlp,
      // a cnn's fc layers and a norm on features (or 1x1 images) in a network of layer entries have
      // (layers/ghost_batch_norm.hpp). Such a norm may name its kind itself in model.layers.
      {{"model.norm", "norm.ghost_batch_size", "train.batch_size", "model.arch", "model.hidden", "model.fc",
        "model.layers", "model.depth", "model.width_multiplier", "model.block", "model.convs_per_stage",
        "model.channels", "model.norm_position", "model.activation", "model.fuse_norm_relu", "norm.group_size",
        "data.dataset"},
       [](const RunConfig& c) -> std::optional<std::string> {
         if (c.norm.ghost_batch_size < 1 || c.train.batch_size % c.norm.ghost_batch_size != 1) return std::nullopt;
         std::string where;
         if (is_layers_arch(c.model.arch)) {
           const auto path = feature_norm_path(c, "ghost_batch");
           if (!path) return std::nullopt;
           where = " at " + *path + " (a ghost batch norm on features)";
         } else {
           const bool has_2d_norm = c.model.arch == "mlp" ? !c.model.hidden.empty() : !c.model.fc.empty();
           if (c.model.norm != "ghost_batch" || !has_2d_norm) return std::nullopt;
         }
         return "norm.ghost_batch_size: a batch of " + std::to_string(c.train.batch_size) + " in ghost batches of " +
                std::to_string(c.norm.ghost_batch_size) + " leaves a last ghost batch of 1 sample" + where +
                ", whose statistics are undefined (choose train.batch_size and norm.ghost_batch_size so that "
                "batch_size % ghost_batch_size != 1)";
       }},
  };
}

}  // namespace

const std::vector<KeySpec>& config_schema() {
  static const std::vector<KeySpec> schema = build_schema();
  return schema;
}

const std::vector<ConfigRule>& config_rules() {
  static const std::vector<ConfigRule> rules = build_rules();
  return rules;
}

const char* exclusive_partner(std::string_view path) {
  if (path == "train.steps") return "train.epochs";
  if (path == "train.epochs") return "train.steps";
  return nullptr;
}

}  // namespace bnlab
