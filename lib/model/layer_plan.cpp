#include "model/layer_plan.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "model/norms.hpp"

namespace bnlab {

namespace {

double values(const Dims& shape) {
  double n = 1;
  for (const auto d : shape) n *= static_cast<double>(d);
  return n;
}

// Layer::kind() of the layer a norm kind builds (layers/*norm*.cpp).
std::string norm_layer_kind(const std::string& kind) {
  if (kind == "batch_renorm") return kind;
  if (kind == "batch" || kind == "layer" || kind == "group" || kind == "ghost_batch" || kind == "noisy_batch")
    return kind + "_norm";
  throw ConfigError("model.norm: unknown norm '" + kind + "'");
}

class Planner {
 public:
  Planner(const ModelConfig& model, const NormConfig& norm) : model_(model), norm_(norm) {}

  // Plans one Sequence's entries; returns its output shape.
  Dims list(std::vector<LayerSpec>& entries, Dims shape) {
    std::vector<std::string> names, kinds;  // of the layers built so far, as Sequence::add counts them
    for (std::size_t i = 0; i < entries.size(); ++i) {
      LayerSpec& spec = entries[i];
      LayerSpec* next = i + 1 < entries.size() ? &entries[i + 1] : nullptr;
      spec.in_shape = shape;
      layer(spec, next);
      spec.planned = true;
      if (spec.skipped) continue;
      shape = spec.out_shape;
      spec.child_name = spec.name;
      if (spec.child_name.empty()) {
        std::size_t same = 1 + static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), spec.layer_kind));
        spec.child_name = spec.layer_kind + std::to_string(same);
        while (std::find(names.begin(), names.end(), spec.child_name) != names.end())
          spec.child_name = spec.layer_kind + std::to_string(++same);
      }
      names.push_back(spec.child_name);
      kinds.push_back(spec.layer_kind);
    }
    return shape;
  }

 private:
  [[noreturn]] void fail(const LayerSpec& spec, const std::string& problem) const {
    throw ConfigError(spec.json_path + ": " + problem);
  }
  void need_image(const LayerSpec& spec) const {
    if (spec.in_shape.size() != 3)
      fail(spec, "needs an image input (C, H, W), got " + shape_text(spec.in_shape) + " features (after a flatten or linear)");
  }
  void need_flat(const LayerSpec& spec) const {
    if (spec.in_shape.size() != 1)
      fail(spec, "needs a flat input, got " + shape_text(spec.in_shape) + "; put {\"flatten\": {}} before it");
  }
  std::string norm_kind(const LayerSpec& spec) const { return spec.kind.empty() ? model_.norm : spec.kind; }
  // Whether `next` is a norm that builds a layer (then a conv/linear before it has no bias).
  bool norm_follows(const LayerSpec* next) const {
    return next && next->type == LayerType::norm && norm_kind(*next) != "none";
  }

  void window(LayerSpec& spec, std::int64_t padding) {
    need_image(spec);
    const auto& in = spec.in_shape;
    const std::int64_t k = spec.kernel;
    for (int d = 1; d <= 2; ++d)
      if (in[d] + 2 * padding < k)
        fail(spec, "a " + std::to_string(k) + "x" + std::to_string(k) + " window does not fit a " +
                       std::to_string(in[1]) + "x" + std::to_string(in[2]) + " input" +
                       (padding ? " with padding " + std::to_string(padding) : "") +
                       " (the network is too deep for its images)");
    spec.out_shape = {in[0], (in[1] + 2 * padding - k) / spec.stride + 1, (in[2] + 2 * padding - k) / spec.stride + 1};
  }

  void layer(LayerSpec& spec, LayerSpec* next) {
    const Dims& in = spec.in_shape;
    switch (spec.type) {
      case LayerType::conv:
        if (!spec.kernel) spec.kernel = 3;
        if (!spec.stride) spec.stride = 1;
        if (!spec.padding) spec.padding = (spec.kernel - 1) / 2;
        if (!spec.bias) spec.bias = !norm_follows(next);
        spec.layer_kind = "conv2d";
        window(spec, *spec.padding);
        spec.out_shape[0] = spec.out;
        break;
      case LayerType::linear:
        need_flat(spec);
        if (!spec.bias) spec.bias = !norm_follows(next);
        spec.layer_kind = "linear";
        spec.out_shape = {spec.out};
        break;
      case LayerType::norm: {
        spec.kind = norm_kind(spec);
        spec.out_shape = in;
        if (spec.kind == "none") {
          spec.skipped = true;
          break;
        }
        spec.layer_kind = norm_layer_kind(spec.kind);
        if (spec.kind == "group" && in[0] % norm_.group_size != 0)
          fail(spec, "group norm over " + std::to_string(in[0]) + " channels: norm.group_size " +
                         std::to_string(norm_.group_size) + " does not divide it (whole groups of channels)");
        const bool relu_next = next && next->type == LayerType::activation &&
                               (next->kind.empty() ? model_.activation : next->kind) == "relu";
        if (relu_next && model_.fuse_norm_relu && norm_applies_relu(spec.kind)) {
          spec.norm_applies_relu = true;
          next->skipped = true;  // the norm applies it
        }
        break;
      }
      case LayerType::activation:
        if (spec.kind.empty()) spec.kind = model_.activation;
        spec.layer_kind = spec.kind;
        spec.out_shape = in;
        break;  // skipped already when the norm before applies it
      case LayerType::max_pool:
      case LayerType::avg_pool:
        if (!spec.kernel) spec.kernel = 2;
        if (!spec.stride) spec.stride = spec.kernel;
        spec.layer_kind = spec.type == LayerType::max_pool ? "max_pool" : "avg_pool";
        window(spec, 0);
        break;
      case LayerType::global_avg_pool:
        need_image(spec);
        spec.layer_kind = "global_avg_pool";
        spec.out_shape = {in[0], 1, 1};
        break;
      case LayerType::dropout:
        if (!spec.p) spec.p = model_.dropout;
        spec.skipped = *spec.p == 0;
        spec.layer_kind = "dropout";
        spec.out_shape = in;
        break;
      case LayerType::flatten:
        spec.layer_kind = "flatten";
        spec.out_shape = {static_cast<std::int64_t>(values(in))};
        break;
      case LayerType::sequence:
        spec.layer_kind = "sequence";
        spec.out_shape = list(spec.body, in);
        break;
      case LayerType::residual: residual(spec); break;
      case LayerType::branches: branches(spec); break;
    }
  }

  void residual(LayerSpec& spec) {
    const Dims& in = spec.in_shape;
    spec.layer_kind = "residual";
    const Dims body = list(spec.body, in);
    spec.out_shape = body;
    const bool project = spec.shortcut == "projection" || (spec.shortcut == "auto" && body != in);
    if (!project) {
      if (body != in) fail(spec, "body gives " + shape_text(body) + ", shortcut " + shape_text(in) +
                                     " (an identity shortcut needs the same shape; \"shortcut\": \"auto\" projects)");
    } else {
      // He et al. 2016's projection: a 1x1 conv (a linear on features) with the body's stride, and a norm.
      if (body.size() != in.size())
        fail(spec, "body gives " + shape_text(body) + " from " + shape_text(in) + "; a projection keeps the rank");
      LayerSpec conv, norm;
      conv.json_path = norm.json_path = spec.json_path + ".shortcut";
      norm.type = LayerType::norm;
      if (in.size() == 3) {
        conv.type = LayerType::conv;
        conv.kernel = 1;
        conv.padding = 0;
        conv.stride = std::max<std::int64_t>(1, (in[1] + body[1] - 1) / body[1]);
      } else {
        conv.type = LayerType::linear;
      }
      conv.out = body[0];
      spec.projection = {conv, norm};
      const Dims shortcut = list(spec.projection, in);
      if (shortcut != body) fail(spec, "body gives " + shape_text(body) + ", projection shortcut " + shape_text(shortcut));
    }
    if (model_.zero_init_residual)  // Goyal et al. 2017: each block starts as the identity
      for (auto it = spec.body.rbegin(); it != spec.body.rend(); ++it)
        if (it->type == LayerType::norm && !it->skipped) {
          it->zero_init = true;
          break;
        }
  }

  void branches(LayerSpec& spec) {
    need_image(spec);
    spec.layer_kind = "branches";
    Dims out, first;
    for (std::size_t k = 0; k < spec.branches.size(); ++k) {
      const Dims shape = list(spec.branches[k], spec.in_shape);
      if (shape.size() != 3) fail(spec, "branch " + std::to_string(k + 1) + " gives " + shape_text(shape) + " features; branches concatenate images");
      if (out.empty()) {
        out = first = shape;
      } else if (shape[1] != out[1] || shape[2] != out[2]) {
        fail(spec, "branch 1 gives " + shape_text(first) + ", branch " +
                       std::to_string(k + 1) + " " + shape_text(shape) + " (H and W must match to concatenate channels)");
      } else {
        out[0] += shape[0];
      }
    }
    spec.out_shape = out;
  }

  const ModelConfig& model_;
  const NormConfig& norm_;
};

void rows_of(const std::vector<LayerSpec>& list, const std::string& prefix, std::vector<LayerRow>& rows) {
  for (const LayerSpec& spec : list) {
    if (spec.skipped) continue;
    const std::string path = prefix + spec.child_name;
    LayerRow row{path, spec.layer_kind, spec.out_shape, 0, 0, values(spec.in_shape), values(spec.out_shape), 0};
    const double out = row.out_values, in = row.in_values;
    switch (spec.type) {
      case LayerType::sequence: rows_of(spec.body, path + ".", rows); continue;
      case LayerType::residual:
        rows_of(spec.body, path + ".body.", rows);
        rows_of(spec.projection, path + ".shortcut.", rows);
        row.kind = spec.relu_after_add ? "residual add+relu" : "residual add";
        row.in_values = 2 * out;
        row.extra_values = out;  // the sum of the two input gradients
        row.flops = out;
        break;
      case LayerType::branches:
        for (std::size_t k = 0; k < spec.branches.size(); ++k)
          rows_of(spec.branches[k], path + ".branch" + std::to_string(k + 1) + ".", rows);
        row.kind = "branches concat";
        row.in_values = out;
        row.extra_values = in * static_cast<double>(spec.branches.size() - 1);  // the gradient sums
        break;
      case LayerType::conv: {
        const double weights = static_cast<double>(spec.out * spec.in_shape[0] * spec.kernel * spec.kernel);
        row.params = static_cast<std::int64_t>(weights) + (*spec.bias ? spec.out : 0);
        row.flops = 2 * weights * static_cast<double>(spec.out_shape[1] * spec.out_shape[2]);
        row.extra_values = in;  // its input reordered to the convolution's layout
        break;
      }
      case LayerType::linear:
        row.params = spec.out * spec.in_shape[0] + (*spec.bias ? spec.out : 0);
        row.flops = 2 * static_cast<double>(spec.out) * in;
        break;
      case LayerType::norm:
        row.params = 2 * spec.in_shape[0];
        row.flops = out;
        if (spec.norm_applies_relu) row.kind += "+relu";
        break;
      case LayerType::max_pool:
      case LayerType::avg_pool:
        row.flops = out * static_cast<double>(spec.kernel * spec.kernel);
        if (spec.type == LayerType::max_pool) row.extra_values = out;  // the positions of the maxima
        break;
      case LayerType::global_avg_pool: row.flops = in; break;
      case LayerType::dropout: row.flops = out; row.extra_values = out; break;  // its mask
      default: row.flops = out; break;
    }
    rows.push_back(row);
  }
}

}  // namespace

void plan_layers(std::vector<LayerSpec>& layers, const ModelConfig& model, const NormConfig& norm, const Dims& input,
                 std::int64_t num_classes) {
  if (input.size() != 3 && input.size() != 1) throw ShapeError("plan_layers: input shape must be (C, H, W) or (F)");
  // The classifier, as mlp and cnn end: logits from the last layer's features.
  LayerSpec flatten, classifier;
  flatten.json_path = classifier.json_path = "the classifier";
  classifier.type = LayerType::linear;
  classifier.out = num_classes;
  classifier.bias = true;
  layers.push_back(flatten);
  layers.push_back(classifier);
  Planner(model, norm).list(layers, input);
  // A network that ends flat needs no flatten before its classifier.
  if (layers[layers.size() - 2].in_shape.size() == 1) layers[layers.size() - 2].skipped = true;
}

std::vector<LayerRow> layer_rows(const std::vector<LayerSpec>& planned) {
  std::vector<LayerRow> rows;
  rows_of(planned, "", rows);
  return rows;
}

std::string shape_text(const Dims& shape) {
  std::string out;
  for (const auto d : shape) {
    if (!out.empty()) out += 'x';  // (not `(empty ? "" : "x") + to_string(d)`: GCC 12 warns falsely on it)
    out += std::to_string(d);
  }
  return out;
}

}  // namespace bnlab
