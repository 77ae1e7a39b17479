// Layers made of layers. A Block is a Layer that owns named child layers; a Sequence runs its
// children one after the other (PyTorch's nn.Sequential), and the residual and branches blocks
// (blocks.hpp) are built from Sequences. A Network is a root Sequence, so a network of blocks
// nests to any depth while everything that walks layers (init, probes, folding, summaries) walks
// one thing: the leaves (non-Block layers) in order, each with a stable path name built from the
// child names ("stage2.block1.body.conv2"), the Sequence that holds it and its index there.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

class Block : public Layer {
 public:
  using Layer::Layer;
  struct Child {
    std::string name;
    Layer* layer;
  };
  virtual std::vector<Child> children() const = 0;
  // Every child's params and buffers, in child order (the optimizer's view of the block).
  std::vector<Param*> params() override;
  std::vector<Buffer> buffers() override;
};

class Sequence : public Block {
 public:
  using Block::Block;

  // name: unique among the children; empty gives kind + a count of that kind ("conv2d2").
  void add(std::unique_ptr<Layer> layer, std::string name = {});

  std::string kind() const override { return "sequence"; }
  // No children: forward returns src, backward diff_dst (an identity shortcut or branch).
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Child> children() const override;

  std::size_t size() const { return layers_.size(); }
  bool empty() const { return layers_.empty(); }
  Layer& layer(std::size_t i) { return *layers_[i]; }
  const Layer& layer(std::size_t i) const { return *layers_[i]; }
  const std::string& name(std::size_t i) const { return names_[i]; }
  // What child i was given and returned in the last forward in `mode` (nullptr before one).
  const Tensor* input(std::size_t i, Mode mode) const;
  const Tensor* output(std::size_t i, Mode mode) const;

 private:
  template <class Fn>
  void named(std::size_t i, Fn&& fn) const;  // runs fn, naming child i in the errors it throws

  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> names_;
  const Tensor* train_input_ = nullptr;
  const Tensor* eval_input_ = nullptr;
  std::vector<const Tensor*> train_outputs_, eval_outputs_;
};

// A leaf layer of a nested network and where it sits.
struct Leaf {
  std::string path;        // child names from the root, joined by '.'
  Layer* layer;
  Sequence* parent;        // the Sequence that holds it
  std::size_t index;       // its index in parent
  // What the leaf was given and returned in the last forward in `mode` (nullptr before one).
  const Tensor* input(Mode mode) const { return parent->input(index, mode); }
  const Tensor* output(Mode mode) const { return parent->output(index, mode); }
  // The leaf before it in the same Sequence (what feeds it directly), or nullptr.
  Layer* previous() const;
};

// The leaves under `root`, depth first in child order (the order forward runs them), with paths
// prefixed by `prefix`.
std::vector<Leaf> leaves(Sequence& root, const std::string& prefix = {});

}  // namespace bnlab
