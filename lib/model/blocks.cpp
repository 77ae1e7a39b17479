#include "model/blocks.hpp"

#include "core/errors.hpp"

namespace bnlab {

Residual::Residual(bool relu, Context& ctx)
    : Block(ctx),
      body_(std::make_unique<Sequence>(ctx)),
      shortcut_(std::make_unique<Sequence>(ctx)),
      add_(relu, ctx),
      sum_diff_(false, ctx) {}

std::vector<Block::Child> Residual::children() const { return {{"body", body_.get()}, {"shortcut", shortcut_.get()}}; }

const Tensor& Residual::forward(const Tensor& src, Mode mode) {
  const Tensor& body = body_->forward(src, mode);
  const Tensor& shortcut = shortcut_->forward(src, mode);  // src itself when it has no layers
  // The add checks the shapes when it builds its primitive (Tensor::dims() allocates: not per step).
  try {
    return add_.forward(body, shortcut, mode);
  } catch (const ShapeError&) {
    throw ShapeError("residual: body gives " + to_string(body.dims()) + ", shortcut " + to_string(shortcut.dims()));
  }
}

const Tensor& Residual::backward(const Tensor& diff_dst, bool need_diff_src) {
  const auto [diff_body, diff_shortcut] = add_.backward(diff_dst);
  const Tensor& from_body = body_->backward(*diff_body, need_diff_src);
  const Tensor& from_shortcut = shortcut_->backward(*diff_shortcut, need_diff_src);
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  // Both are in src's descriptor (the layer contract), so the sum is too. Mode::eval: this Add
  // is only ever run forward.
  return sum_diff_.forward(from_body, from_shortcut, Mode::eval);
}

Sequence& Branches::add_branch() {
  branches_.push_back(std::make_unique<Sequence>(ctx_));
  outputs_.push_back(nullptr);
  if (branches_.size() > 1) sum_diffs_.push_back(std::make_unique<Add>(false, ctx_));
  return *branches_.back();
}

std::vector<Block::Child> Branches::children() const {
  std::vector<Child> out;
  for (std::size_t k = 0; k < branches_.size(); ++k) out.push_back({"branch" + std::to_string(k + 1), branches_[k].get()});
  return out;
}

const Tensor& Branches::forward(const Tensor& src, Mode mode) {
  if (branches_.empty()) throw ShapeError("branches: no branches");
  for (std::size_t k = 0; k < branches_.size(); ++k) outputs_[k] = &branches_[k]->forward(src, mode);
  return concat_.forward(outputs_, mode);
}

const Tensor& Branches::backward(const Tensor& diff_dst, bool need_diff_src) {
  const auto& pieces = concat_.backward(diff_dst);
  const Tensor* sum = nullptr;
  for (std::size_t k = 0; k < branches_.size(); ++k) {
    const Tensor& diff = branches_[k]->backward(pieces[k], need_diff_src);
    if (need_diff_src) sum = k == 0 ? &diff : &sum_diffs_[k - 1]->forward(*sum, diff, Mode::eval);
  }
  if (!need_diff_src) {
    static const Tensor none;
    return none;
  }
  return *sum;
}

}  // namespace bnlab
