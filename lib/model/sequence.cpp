#include "model/sequence.hpp"

#include <algorithm>

#include "core/errors.hpp"

namespace bnlab {

std::vector<Param*> Block::params() {
  std::vector<Param*> out;
  for (const Child& child : children())
    for (Param* p : child.layer->params()) out.push_back(p);
  return out;
}

std::vector<Buffer> Block::buffers() {
  std::vector<Buffer> out;
  for (const Child& child : children())
    for (const Buffer& b : child.layer->buffers()) out.push_back(b);
  return out;
}

void Sequence::add(std::unique_ptr<Layer> layer, std::string name) {
  if (name.empty()) {
    const auto kind = layer->kind();
    std::size_t same = 1;
    for (const auto& l : layers_) same += l->kind() == kind;
    name = kind + std::to_string(same);
    // A user's name may already be "relu2": count on until the generated one is free.
    while (std::find(names_.begin(), names_.end(), name) != names_.end()) name = kind + std::to_string(++same);
  } else if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    throw ShapeError("sequence: two layers named '" + name + "'");
  }
  layers_.push_back(std::move(layer));
  names_.push_back(std::move(name));
  train_outputs_.push_back(nullptr);
  eval_outputs_.push_back(nullptr);
}

std::vector<Block::Child> Sequence::children() const {
  std::vector<Child> out;
  for (std::size_t i = 0; i < layers_.size(); ++i) out.push_back({names_[i], layers_[i].get()});
  return out;
}

// A layer builds its primitives and buffers on its first forward (and backward): a failure there
// (out of memory, a oneDNN error) is named by the layer, not only by oneDNN's "could not create
// a memory object". Our own typed errors pass unchanged; a nested block's error names the path.
template <class Fn>
void Sequence::named(std::size_t i, Fn&& fn) const {
  try {
    fn();
  } catch (const MemoryError& e) {
    throw MemoryError("layer " + names_[i] + " (" + layers_[i]->kind() + "): " + e.what());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("layer " + names_[i] + " (" + layers_[i]->kind() + "): " + e.what());
  }
}

const Tensor& Sequence::forward(const Tensor& src, Mode mode) {
  const bool train = mode == Mode::train;
  (train ? train_input_ : eval_input_) = &src;
  auto& outputs = train ? train_outputs_ : eval_outputs_;
  const Tensor* x = &src;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    named(i, [&] { x = &layers_[i]->forward(*x, mode); });
    outputs[i] = x;
  }
  return *x;
}

const Tensor& Sequence::backward(const Tensor& diff_dst, bool need_diff_src) {
  const Tensor* diff = &diff_dst;
  for (std::size_t i = layers_.size(); i-- > 0;)
    named(i, [&] { diff = &layers_[i]->backward(*diff, /*need_diff_src=*/i > 0 || need_diff_src); });
  return *diff;
}

const Tensor* Sequence::input(std::size_t i, Mode mode) const {
  if (i == 0) return mode == Mode::train ? train_input_ : eval_input_;
  return output(i - 1, mode);
}

const Tensor* Sequence::output(std::size_t i, Mode mode) const {
  return (mode == Mode::train ? train_outputs_ : eval_outputs_).at(i);
}

Layer* Leaf::previous() const {
  if (index == 0) return nullptr;
  Layer& layer = parent->layer(index - 1);
  return dynamic_cast<Block*>(&layer) ? nullptr : &layer;
}

namespace {
void collect(Block& block, const std::string& prefix, std::vector<Leaf>& out) {
  auto* seq = dynamic_cast<Sequence*>(&block);
  const auto kids = block.children();
  for (std::size_t i = 0; i < kids.size(); ++i) {
    const std::string path = prefix.empty() ? kids[i].name : prefix + "." + kids[i].name;
    if (auto* inner = dynamic_cast<Block*>(kids[i].layer)) {
      collect(*inner, path, out);
    } else {
      if (!seq) throw ShapeError("network: leaf '" + path + "' is not held by a sequence");
      out.push_back({path, kids[i].layer, seq, i});
    }
  }
}
}  // namespace

std::vector<Leaf> leaves(Sequence& root, const std::string& prefix) {
  std::vector<Leaf> out;
  collect(root, prefix, out);
  return out;
}

}  // namespace bnlab
