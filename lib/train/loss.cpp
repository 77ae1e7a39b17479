#include "train/loss.hpp"

#include <algorithm>
#include <cstring>

#include "core/output_buffer.hpp"

namespace bnlab {

Evaluation Evaluator::operator()(Network& net, const Dataset& data, Mode mode, std::int64_t limit) {
  const std::int64_t n = limit > 0 ? std::min(limit, data.n) : data.n;
  Evaluation out;
  if (n == 0) return out;
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (std::int64_t begin = 0; begin < n; begin += chunk_) {
    const std::int64_t size = std::min(chunk_, n - begin);
    double chunk_sum = 0;
    for (std::int64_t first = begin; first < begin + size; first += batch_) {
      const std::int64_t count = std::min(batch_, begin + size - first);
      const Dims dims = net.input_dims(count);
      if (input_.empty() || input_.dims() != dims) input_ = output_buffer(plain_desc(dims));
      std::memcpy(input_.data(), data.image(first), static_cast<std::size_t>(count * data.sample_size()) * sizeof(float));
      const Tensor& logits = net.forward(input_, mode);
      chunk_sum = loss_.add_loss(logits, data.labels.data() + first, chunk_sum);
      correct += loss_.correct();
    }
    loss_sum += chunk_sum / static_cast<double>(size) * static_cast<double>(size);
  }
  out.loss = loss_sum / static_cast<double>(n);
  out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return out;
}

}  // namespace bnlab
