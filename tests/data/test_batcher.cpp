// Batcher and for_each_chunk: each epoch covers every sample once (minus the dropped remainder),
// orders change between epochs and repeat for the same seed, by_class batches stay within as few
// classes as possible, evaluation chunks cover everything in file order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include "core/errors.hpp"
#include "data/batcher.hpp"
#include "idx_files.hpp"

using namespace bnlab;
using bnlab::test::message_of;
using Catch::Matchers::Contains;

namespace {

// n samples of 2x3 pixels whose every pixel equals the sample's index, so a batch tells which
// samples it holds; label of sample i: class_of(i).
template <typename ClassOf>
Dataset indexed_dataset(std::int64_t n, ClassOf class_of) {
  Dataset d;
  d.n = n;
  d.channels = 1;
  d.height = 2;
  d.width = 3;
  for (std::int64_t i = 0; i < n; ++i) {
    d.images.insert(d.images.end(), 6, static_cast<float>(i));
    d.labels.push_back(class_of(i));
  }
  return d;
}

struct Epoch {
  std::vector<std::vector<std::int64_t>> batches;  // sample ids per batch, in visiting order
};

// Runs one epoch's worth of next() calls and checks that images and labels match the dataset.
Epoch run_epoch(Batcher& b, const Dataset& d) {
  Epoch e;
  std::vector<float> images(static_cast<std::size_t>(b.batch_size() * d.sample_size()), -1.0f);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(b.batch_size()), -1);
  for (std::int64_t s = 0; s < b.steps_per_epoch(); ++s) {
    const std::int64_t count = b.next(images.data(), labels.data());
    std::vector<std::int64_t> ids;
    for (std::int64_t k = 0; k < count; ++k) {
      const auto id = static_cast<std::int64_t>(images[static_cast<std::size_t>(k * d.sample_size())]);
      REQUIRE(images[static_cast<std::size_t>((k + 1) * d.sample_size() - 1)] == static_cast<float>(id));
      REQUIRE(labels[static_cast<std::size_t>(k)] == d.labels[static_cast<std::size_t>(id)]);
      ids.push_back(id);
    }
    e.batches.push_back(ids);
  }
  return e;
}

std::vector<std::int64_t> flatten(const Epoch& e) {
  std::vector<std::int64_t> all;
  for (const auto& b : e.batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

}  // namespace

TEST_CASE("Batcher shuffled: every epoch covers floor(N/B)*B distinct samples in a new order", "[data][batcher]") {
  const Dataset d = indexed_dataset(103, [](std::int64_t i) { return static_cast<std::int32_t>(i % 10); });
  Batcher b(d, 10, Batching::shuffled, 42);
  CHECK(b.steps_per_epoch() == 10);
  CHECK(b.samples_per_epoch() == 100);
  CHECK(b.epoch() == 0.0);

  const Epoch e1 = run_epoch(b, d);
  CHECK(b.epoch() == Approx(1.0));
  const Epoch e2 = run_epoch(b, d);
  CHECK(b.epoch() == Approx(2.0));
  CHECK(b.steps() == 20);
  for (const auto* e : {&e1, &e2}) {
    const auto ids = flatten(*e);
    CHECK(ids.size() == 100);
    CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 100);  // no repeats
    for (const auto& batch : e->batches) CHECK(batch.size() == 10);
  }
  CHECK(flatten(e1) != flatten(e2));

  SECTION("same seed, same batches; other seed, other batches") {
    Batcher again(d, 10, "shuffled", 42), other(d, 10, "shuffled", 43);
    CHECK(flatten(run_epoch(again, d)) == flatten(e1));
    CHECK(flatten(run_epoch(again, d)) == flatten(e2));
    CHECK(flatten(run_epoch(other, d)) != flatten(e1));
  }
  SECTION("epoch() counts partial epochs") {
    Batcher half(d, 10, Batching::shuffled, 1);
    std::vector<float> images(60);
    std::vector<std::int32_t> labels(10);
    for (int s = 0; s < 15; ++s) half.next(images.data(), labels.data());
    CHECK(half.epoch() == Approx(1.5));
  }
}

TEST_CASE("Batcher without drop_last sees every sample, one batch short", "[data][batcher]") {
  const Dataset d = indexed_dataset(103, [](std::int64_t i) { return static_cast<std::int32_t>(i % 10); });
  const Batching mode = GENERATE(Batching::shuffled, Batching::by_class);
  Batcher b(d, 10, mode, 5, /*drop_last=*/false);
  CHECK(b.steps_per_epoch() == 11);
  CHECK(b.samples_per_epoch() == 103);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const Epoch e = run_epoch(b, d);
    const auto ids = flatten(e);
    CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 103);
    int short_batches = 0;
    for (const auto& batch : e.batches) short_batches += batch.size() == 3 ? 1 : 0;
    CHECK(short_batches == 1);
  }
}

TEST_CASE("Batcher by_class: batches from as few classes as possible, each image once", "[data][batcher]") {
  // Unbalanced classes: class c has 20 + 3c samples (N = 335), interleaved in file order.
  std::vector<std::int32_t> label_of;
  for (std::int32_t c = 0; c < 10; ++c) label_of.insert(label_of.end(), 20 + 3 * c, c);
  Rng(9).shuffle(label_of.begin(), label_of.end());
  const Dataset d = indexed_dataset(static_cast<std::int64_t>(label_of.size()),
                                    [&](std::int64_t i) { return label_of[static_cast<std::size_t>(i)]; });
  REQUIRE(d.n == 335);
  const std::int64_t batch = 16;  // <= the smallest class: a batch spans at most 2 classes
  Batcher b(d, batch, Batching::by_class, 3);
  CHECK(b.steps_per_epoch() == 335 / 16);

  std::vector<std::vector<std::int32_t>> class_sequences;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const Epoch e = run_epoch(b, d);
    const auto ids = flatten(e);
    CHECK(ids.size() == 20 * 16);
    CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());
    int mixed = 0;
    std::vector<std::int32_t> first_class;
    for (const auto& ids_in_batch : e.batches) {
      std::set<std::int32_t> classes;
      for (auto id : ids_in_batch) classes.insert(d.labels[static_cast<std::size_t>(id)]);
      REQUIRE(classes.size() <= 2);
      mixed += classes.size() == 2 ? 1 : 0;
      first_class.push_back(*classes.begin());
    }
    // Only batches that straddle a class boundary mix classes: at most one per boundary.
    CHECK(mixed <= 9);
    CHECK(e.batches.size() - static_cast<std::size_t>(mixed) >= 11);
    class_sequences.push_back(first_class);
  }
  CHECK(class_sequences[0] != class_sequences[1]);  // new grouping and order each epoch
  CHECK(class_sequences[1] != class_sequences[2]);
  // Batches are visited in random order, not class after class.
  CHECK_FALSE(std::is_sorted(class_sequences[0].begin(), class_sequences[0].end()));

  Batcher again(d, batch, "by_class", 3);
  Batcher fresh(d, batch, Batching::by_class, 3);
  CHECK(flatten(run_epoch(again, d)) == flatten(run_epoch(fresh, d)));
}

TEST_CASE("Batcher rejects impossible batch sizes and unknown modes", "[data][batcher]") {
  const Dataset d = indexed_dataset(20, [](std::int64_t) { return 0; });
  CHECK_THAT(message_of<ConfigError>([&] { Batcher(d, 0, Batching::shuffled, 1); }), Contains("batch_size"));
  CHECK_THAT(message_of<ConfigError>([&] { Batcher(d, 21, Batching::shuffled, 1); }),
             Contains("batch_size") && Contains("21") && Contains("20"));
  CHECK_NOTHROW(Batcher(d, 20, Batching::by_class, 1));
  CHECK_THAT(message_of<ConfigError>([&] { Batcher(d, 4, "random", 1); }),
             Contains("data.batching") && Contains("by_class"));
  CHECK(parse_batching(to_string(Batching::by_class)) == Batching::by_class);
}

TEST_CASE("for_each_chunk visits every sample in file order, last chunk short", "[data][batcher]") {
  const Dataset d = indexed_dataset(103, [](std::int64_t i) { return static_cast<std::int32_t>(i % 10); });
  std::vector<std::int64_t> counts, seen;
  for_each_chunk(d, 25, [&](const Chunk& c) {
    counts.push_back(c.count);
    CHECK(c.images == d.image(c.offset));
    CHECK(c.labels == d.labels.data() + c.offset);
    for (std::int64_t k = 0; k < c.count; ++k) seen.push_back(static_cast<std::int64_t>(c.images[k * 6]));
  });
  CHECK(counts == std::vector<std::int64_t>{25, 25, 25, 25, 3});
  std::vector<std::int64_t> expected(103);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(seen == expected);
  CHECK_THROWS_AS(for_each_chunk(d, 0, [](const Chunk&) {}), ConfigError);
}
