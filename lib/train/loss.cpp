#include "train/loss.hpp"

#include <algorithm>
#include <cstring>

namespace bnlab {

Evaluation Evaluator::operator()(Network& net, const Dataset& data, Mode mode, std::int64_t limit) {
  const std::int64_t n = limit > 0 ? std::min(limit, data.n) : data.n;
  Evaluation out;
  if (n == 0) return out;
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (std::int64_t begin = 0; begin < n; begin += chunk_) {
    const std::int64_t size = std::min(chunk_, n - begin);
    const Dims dims = net.input_dims(size);
    if (input_.empty() || input_.dims() != dims) input_ = Tensor::plain(dims);
    std::memcpy(input_.data(), data.image(begin), static_cast<std::size_t>(size * data.sample_size()) * sizeof(float));
    const Tensor& logits = net.forward(input_, mode);
    loss_sum += loss_.forward(logits, data.labels.data() + begin) * static_cast<double>(size);
    correct += loss_.correct();
  }
  out.loss = loss_sum / static_cast<double>(n);
  out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return out;
}

}  // namespace bnlab
