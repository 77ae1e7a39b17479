// Batcher: an epoch is planned as a list of sample indices (order_) and a list of batches (spans of
// order_, in visiting order). All buffers are sized in the constructor and reused every epoch.
#include "data/batcher.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/errors.hpp"

namespace bnlab {

Batching parse_batching(const std::string& name) {
  if (name == "shuffled") return Batching::shuffled;
  if (name == "by_class") return Batching::by_class;
  throw ConfigError("data.batching: unknown value \"" + name + "\" (valid: shuffled, by_class)");
}

std::string to_string(Batching mode) { return mode == Batching::shuffled ? "shuffled" : "by_class"; }

Batcher::Batcher(const Dataset& data, std::int64_t batch_size, const std::string& mode,
                 std::uint64_t seed, bool drop_last)
    : Batcher(data, batch_size, parse_batching(mode), seed, drop_last) {}

Batcher::Batcher(const Dataset& data, std::int64_t batch_size, Batching mode, std::uint64_t seed,
                 bool drop_last)
    : data_(data), batch_size_(batch_size), mode_(mode), drop_last_(drop_last), rng_(seed) {
  if (batch_size < 1) {
    throw ConfigError("train.batch_size must be at least 1 (got " + std::to_string(batch_size) + ")");
  }
  if (batch_size > data.n) {
    throw ConfigError("train.batch_size = " + std::to_string(batch_size) + " is larger than the " +
                      std::to_string(data.n) + " samples of the data set");
  }
  if (data.pixel_count() != data.n * data.sample_size() ||
      static_cast<std::int64_t>(data.labels.size()) != data.n) {
    throw ShapeError("Batcher: dataset buffers do not match n = " + std::to_string(data.n));
  }
  const std::int64_t n = data.n;
  const std::int64_t full = n / batch_size;
  const bool short_batch = !drop_last && n % batch_size != 0;
  order_.resize(static_cast<std::size_t>(drop_last ? full * batch_size : n));
  batches_.resize(static_cast<std::size_t>(full + (short_batch ? 1 : 0)));
  all_.resize(static_cast<std::size_t>(n));
  std::iota(all_.begin(), all_.end(), std::int64_t{0});
  if (mode_ == Batching::by_class) {
    by_class_.resize(static_cast<std::size_t>(data.num_classes));
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int32_t label = data.labels[static_cast<std::size_t>(i)];
      if (label < 0 || label >= data.num_classes) {
        throw DataError("Batcher: label " + std::to_string(label) + " of sample " + std::to_string(i) +
                        " is out of range 0.." + std::to_string(data.num_classes - 1));
      }
      by_class_[static_cast<std::size_t>(label)].push_back(i);
    }
    class_order_.resize(by_class_.size());
    std::iota(class_order_.begin(), class_order_.end(), 0);
  }
  next_batch_ = batches_.size();  // the first next() plans epoch 0
}

void Batcher::plan_shuffled() {
  rng_.shuffle(all_.begin(), all_.end());
  std::copy_n(all_.begin(), order_.size(), order_.begin());
}

// The class-sorted stream (random class order, random order within each class), truncated to
// order_'s size; cutting it into consecutive batches keeps each batch within one class whenever the
// class has enough samples left.
void Batcher::plan_by_class() {
  rng_.shuffle(class_order_.begin(), class_order_.end());
  std::size_t pos = 0;
  for (const std::int32_t c : class_order_) {
    auto& members = by_class_[static_cast<std::size_t>(c)];
    rng_.shuffle(members.begin(), members.end());
    const std::size_t take = std::min(members.size(), order_.size() - pos);
    std::copy_n(members.begin(), take, order_.begin() + static_cast<std::ptrdiff_t>(pos));
    pos += take;
  }
}

void Batcher::start_epoch() {
  if (mode_ == Batching::shuffled) {
    plan_shuffled();
  } else {
    plan_by_class();
  }
  const auto total = static_cast<std::int64_t>(order_.size());
  for (std::size_t b = 0; b < batches_.size(); ++b) {
    const std::int64_t begin = static_cast<std::int64_t>(b) * batch_size_;
    batches_[b] = {begin, std::min(batch_size_, total - begin)};
  }
  if (mode_ == Batching::by_class) rng_.shuffle(batches_.begin(), batches_.end());
  next_batch_ = 0;
}

std::int64_t Batcher::next(float* images_out, std::int32_t* labels_out) {
  if (next_batch_ == batches_.size()) start_epoch();
  const Span span = batches_[next_batch_++];
  const std::int64_t sample = data_.sample_size();
  const auto bytes = static_cast<std::size_t>(sample) * sizeof(float);
  for (std::int64_t k = 0; k < span.size; ++k) {
    const std::int64_t i = order_[static_cast<std::size_t>(span.begin + k)];
    std::memcpy(images_out + k * sample, data_.image(i), bytes);
    labels_out[k] = data_.labels[static_cast<std::size_t>(i)];
  }
  samples_seen_ += span.size;
  ++steps_;
  return span.size;
}

double Batcher::epoch() const {
  return static_cast<double>(samples_seen_) / static_cast<double>(order_.size());
}

void for_each_chunk(const Dataset& data, std::int64_t chunk_size, const std::function<void(const Chunk&)>& fn) {
  if (chunk_size < 1) {
    throw ConfigError("evaluation chunk size must be at least 1 (got " + std::to_string(chunk_size) + ")");
  }
  for (std::int64_t offset = 0; offset < data.n; offset += chunk_size) {
    const std::int64_t count = std::min(chunk_size, data.n - offset);
    fn(Chunk{data.image(offset), data.labels.data() + offset, offset, count});
  }
}

}  // namespace bnlab
