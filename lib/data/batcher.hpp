// Seeded mini-batches for training, and fixed-order chunks for evaluation.
//
// Batcher modes (data.batching):
//   shuffled  every epoch a new random permutation of the samples, cut into batches in order.
//   by_class  the non-iid setting of Ioffe 2017 (Batch Renormalization, section 4.3): each batch
//             comes from as few classes as possible. Every epoch the classes are taken in a random
//             order, each class's samples in a random order, and the resulting class-sorted stream
//             is cut into batches: a batch takes from one class while that class has enough
//             samples left and fills up from the next class otherwise. The batches are then visited
//             in random order.
// With drop_last (the default) an epoch is floor(N / B) full batches: samples per epoch =
// floor(N/B) * B, and the N mod B left over are dropped (different ones each epoch: the tail of the
// permutation, or of the class stream). Without drop_last, one batch per epoch is short (next()
// returns its size). Every other sample is seen exactly once per epoch; epochs roll over by
// themselves. The same (data, batch size, mode, seed) always gives the same batches.
//
// next() copies into caller-owned buffers and allocates nothing: the sample order is rebuilt in
// place each epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "data/dataset.hpp"

namespace bnlab {

enum class Batching { shuffled, by_class };

// "shuffled" | "by_class"; anything else is a ConfigError naming data.batching and the valid values.
Batching parse_batching(const std::string& name);
std::string to_string(Batching mode);

class Batcher {
 public:
  // ConfigError if batch_size < 1 or larger than data.n. The Batcher keeps a reference to `data`,
  // which must outlive it.
  Batcher(const Dataset& data, std::int64_t batch_size, Batching mode, std::uint64_t seed,
          bool drop_last = true);
  Batcher(const Dataset& data, std::int64_t batch_size, const std::string& mode, std::uint64_t seed,
          bool drop_last = true);
  // A temporary Dataset would dangle.
  Batcher(const Dataset&&, std::int64_t, Batching, std::uint64_t, bool = true) = delete;
  Batcher(const Dataset&&, std::int64_t, const std::string&, std::uint64_t, bool = true) = delete;

  // Copies the next batch: images_out (B, C, H, W) and labels_out (B); returns the number of
  // samples written (batch_size, except the short batch when drop_last is false).
  std::int64_t next(float* images_out, std::int32_t* labels_out);

  double epoch() const;                        // completed epochs: samples seen / samples_per_epoch()
  std::int64_t steps_per_epoch() const { return static_cast<std::int64_t>(batches_.size()); }
  std::int64_t samples_per_epoch() const { return static_cast<std::int64_t>(order_.size()); }
  std::int64_t batch_size() const { return batch_size_; }
  std::int64_t steps() const { return steps_; }  // batches returned so far
  Batching mode() const { return mode_; }
  bool drop_last() const { return drop_last_; }

 private:
  struct Span {
    std::int64_t begin, size;  // into order_
  };
  void start_epoch();
  void plan_shuffled();
  void plan_by_class();

  const Dataset& data_;
  std::int64_t batch_size_;
  Batching mode_;
  bool drop_last_;
  Rng rng_;
  std::vector<std::int64_t> order_;                     // (samples_per_epoch) sample indices
  std::vector<Span> batches_;                           // (steps_per_epoch) in visiting order
  std::vector<std::int64_t> all_;                       // (n) 0..n-1, permuted for shuffled
  std::vector<std::vector<std::int64_t>> by_class_;     // (num_classes)(count of class) indices
  std::vector<std::int32_t> class_order_;               // (num_classes) permuted each epoch
  std::size_t next_batch_ = 0;                          // into batches_; == size: epoch done
  std::int64_t samples_seen_ = 0;
  std::int64_t steps_ = 0;
};

// A contiguous run of samples of a Dataset (pointers into it, no copy).
struct Chunk {
  const float* images;          // (count, C, H, W)
  const std::int32_t* labels;   // (count)
  std::int64_t offset;          // index of the first sample
  std::int64_t count;           // chunk_size, or less for the last chunk
};

// Calls fn on consecutive chunks of `chunk_size` samples in file order, the last one possibly
// shorter, so every sample is visited once (evaluation). ConfigError if chunk_size < 1.
void for_each_chunk(const Dataset& data, std::int64_t chunk_size, const std::function<void(const Chunk&)>& fn);

}  // namespace bnlab
