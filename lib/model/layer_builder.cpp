#include "model/layer_builder.hpp"

#include "core/errors.hpp"
#include "layers/avg_pool.hpp"
#include "layers/conv2d.hpp"
#include "layers/dropout.hpp"
#include "layers/eltwise.hpp"
#include "layers/flatten.hpp"
#include "layers/linear.hpp"
#include "layers/max_pool.hpp"
#include "layers/norm.hpp"
#include "model/blocks.hpp"
#include "model/norms.hpp"

namespace bnlab {

namespace {

class Builder {
 public:
  Builder(const NormConfig& norm, Rng& rng) : norm_(norm), rng_(rng) {}

  // Target: Network or Sequence (both add(layer, name)).
  template <class Target>
  void list(Target& target, const std::vector<LayerSpec>& entries) {
    for (const LayerSpec& spec : entries) {
      if (spec.skipped) continue;
      try {
        target.add(layer(spec), spec.child_name);
      } catch (const MemoryError& e) {
        throw MemoryError(spec.json_path + " (" + spec.layer_kind + "): " + e.what());
      }
    }
  }

 private:
  std::unique_ptr<Layer> layer(const LayerSpec& spec) {
    const Dims& in = spec.in_shape;
    switch (spec.type) {
      case LayerType::conv:
        return std::make_unique<Conv2d>(in[0], spec.out, Conv2dOptions{spec.kernel, spec.stride, *spec.padding, *spec.bias});
      case LayerType::linear: return std::make_unique<Linear>(in[0], spec.out, *spec.bias);
      case LayerType::norm: {
        auto norm = make_norm(spec.kind, in[0], norm_, spec.norm_applies_relu, rng_);
        if (spec.zero_init) {
          auto* n = dynamic_cast<Norm*>(norm.get());
          if (!n) throw ConfigError(spec.json_path + ": norm '" + spec.kind + "' has no scale to start at 0");
          n->gamma().value.fill(0.0f);
        }
        return norm;
      }
      case LayerType::activation: return std::make_unique<Eltwise>(spec.kind);
      case LayerType::max_pool: return std::make_unique<MaxPool2d>(spec.kernel, spec.stride);
      case LayerType::avg_pool: return std::make_unique<AvgPool2d>(spec.kernel, spec.stride);
      case LayerType::global_avg_pool: return AvgPool2d::global();
      case LayerType::dropout: return std::make_unique<Dropout>(*spec.p, rng_.next());
      case LayerType::flatten: return std::make_unique<Flatten>();
      case LayerType::sequence: {
        auto seq = std::make_unique<Sequence>();
        list(*seq, spec.body);
        return seq;
      }
      case LayerType::residual: {
        auto block = std::make_unique<Residual>(spec.relu_after_add);
        list(block->body(), spec.body);
        list(block->shortcut(), spec.projection);
        return block;
      }
      case LayerType::branches: {
        auto block = std::make_unique<Branches>();
        for (const auto& branch : spec.branches) list(block->add_branch(), branch);
        return block;
      }
    }
    throw Error("build_planned: unknown layer type");
  }

  const NormConfig& norm_;
  Rng& rng_;
};

}  // namespace

void build_planned(Network& net, const std::vector<LayerSpec>& planned, const NormConfig& norm, Rng& rng) {
  Builder(norm, rng).list(net, planned);
}

}  // namespace bnlab
