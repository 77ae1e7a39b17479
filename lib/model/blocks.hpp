// The two blocks a network of layers nests (docs/networks.md: "model.layers"):
//
// Residual (He et al. 2016, "Deep Residual Learning for Image Recognition"):
//   y = act(body(x) + shortcut(x))       shortcut: the identity (no layers) or a projection,
//                                        1x1 conv with the body's stride + norm (torchvision's
//                                        `downsample`); act: ReLU or none (pre-activation blocks,
//                                        He et al. 2016b, add without an activation after)
//   x (N, C, H, W)   body(x), shortcut(x), y (N, C', H', W')
// Backward: d = dy · act'(y); dx = body'(x)ᵀ d + shortcut'(x)ᵀ d (the identity's: d itself).
//
// Branches (an Inception module: Szegedy et al. 2015, "Going Deeper with Convolutions"):
//   y = concat_channels(branch_1(x), ..., branch_k(x))    every branch keeps N, H and W
// Backward: dy is cut into the branches' pieces d_k; dx = Σ_k branch_k'(x)ᵀ d_k.
//
// Both are Blocks of Sequences ("body"/"shortcut"; "branch1".."branchk"), so their layers are
// leaves of the network with paths like "block1.body.conv2d1". The add (with the ReLU as its
// post-op) and the concat are oneDNN primitives (layers/add.hpp, layers/concat.hpp); the sum of
// the input gradients is one more Add. Nothing here allocates or builds a primitive after the
// first step of a shape.
#pragma once

#include <memory>
#include <vector>

#include "layers/add.hpp"
#include "layers/concat.hpp"
#include "model/sequence.hpp"

namespace bnlab {

class Residual : public Block {
 public:
  // relu: ReLU after the add (post-activation blocks), else none.
  explicit Residual(bool relu = true, Context& ctx = default_context());

  Sequence& body() { return *body_; }
  Sequence& shortcut() { return *shortcut_; }  // empty: the identity
  bool relu() const { return add_.relu(); }

  std::string kind() const override { return "residual"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Child> children() const override;

 private:
  std::unique_ptr<Sequence> body_, shortcut_;
  Add add_;       // body + shortcut [-> ReLU]
  Add sum_diff_;  // the two gradients that reach x
};

class Branches : public Block {
 public:
  explicit Branches(Context& ctx = default_context()) : Block(ctx), concat_(ctx) {}

  // A new, empty branch (fill it with add()); an empty branch passes x through.
  Sequence& add_branch();
  std::size_t size() const { return branches_.size(); }
  Sequence& branch(std::size_t k) { return *branches_[k]; }

  std::string kind() const override { return "branches"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Child> children() const override;

 private:
  std::vector<std::unique_ptr<Sequence>> branches_;
  std::vector<const Tensor*> outputs_;                // per branch, the last forward's
  Concat concat_;
  std::vector<std::unique_ptr<Add>> sum_diffs_;       // branch 0's diff + branch 1's, + branch 2's, ...
};

}  // namespace bnlab
