// data.val_size: the held-out validation set is disjoint from the training images, has the asked
// size, keeps each class's share, does not depend on train.seed (or train_size), and is the same
// on every call; its limits are errors that name the key.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "core/errors.hpp"
#include "data/dataset.hpp"
#include "data/validation_split.hpp"
#include "idx_files.hpp"

using namespace bnlab;
using bnlab::test::message_of;
using Catch::Matchers::Contains;

namespace {

// An MNIST-style folder whose training image i has every pixel = i (so an image names itself) and
// unbalanced classes: labels[i] from `labels`.
DataConfig tagged_idx_dir(const std::filesystem::path& dir, const std::vector<std::uint8_t>& labels) {
  const auto n = static_cast<std::uint32_t>(labels.size());
  std::vector<std::uint8_t> pixels;
  for (std::uint32_t i = 0; i < n; ++i) pixels.insert(pixels.end(), 4, static_cast<std::uint8_t>(i));
  test::write_idx(dir / "train-images-idx3-ubyte", 0x803, {n, 2, 2}, pixels, false);
  test::write_idx(dir / "train-labels-idx1-ubyte", 0x801, {n}, labels, false);
  test::write_idx(dir / "t10k-images-idx3-ubyte", 0x803, {10, 2, 2}, test::pattern_pixels(10, 2, 2), false);
  test::write_idx(dir / "t10k-labels-idx1-ubyte", 0x801, {10}, test::pattern_labels(10), false);
  DataConfig cfg;
  cfg.dataset = "mnist";
  cfg.dir = dir.string();
  return cfg;
}

// The original index of each image of `d` (undoing the standardization of tagged_idx_dir's pixels).
std::vector<int> image_ids(const Dataset& d, const DataSplit& split) {
  std::vector<int> ids;
  for (std::int64_t i = 0; i < d.n; ++i)
    ids.push_back(static_cast<int>(std::lround((d.image(i)[0] * split.pixel_std + split.pixel_mean) * 255.0)));
  return ids;
}

// 100 images: class 0 has 60, class 1 30, class 2 10, interleaved.
std::vector<std::uint8_t> unbalanced_labels() {
  std::vector<std::uint8_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(static_cast<std::uint8_t>(i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
  return labels;
}

std::vector<int> class_counts(const std::vector<std::int32_t>& labels) {
  std::vector<int> counts(3, 0);
  for (auto l : labels) ++counts.at(static_cast<std::size_t>(l));
  return counts;
}

}  // namespace

TEST_CASE("validation_indices: the asked size, sorted, distinct, each class's share", "[data][validation]") {
  std::vector<std::int32_t> labels;
  for (auto l : unbalanced_labels()) labels.push_back(l);
  const auto held = validation_indices(labels, 3, 20);
  REQUIRE(held.size() == 20);
  CHECK(std::is_sorted(held.begin(), held.end()));
  CHECK(std::set<std::int64_t>(held.begin(), held.end()).size() == 20);
  std::vector<std::int32_t> held_labels;
  for (auto i : held) held_labels.push_back(labels[static_cast<std::size_t>(i)]);
  CHECK(class_counts(held_labels) == std::vector<int>{12, 6, 2});  // 20% of 60, 30, 10
  CHECK(validation_indices(labels, 3, 20) == held);                // deterministic

  // Largest remainders: 3 of (5, 3, 2) are 1.5, 0.9, 0.6 -> floors 1, 0, 0; the two left go to
  // classes 1 (remainder 0.9) and 2 (0.6): one image of each class.
  const std::vector<std::int32_t> small = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2};
  std::vector<std::int32_t> picked;
  for (auto i : validation_indices(small, 3, 3)) picked.push_back(small[static_cast<std::size_t>(i)]);
  CHECK(class_counts(picked) == std::vector<int>{1, 1, 1});
  CHECK(validation_indices(small, 3, 0).empty());
}

TEST_CASE("data.val_size holds out training images: disjoint, same for every train.seed, train_size from the rest",
          "[data][validation]") {
  test::TempDir dir;
  DataConfig cfg = tagged_idx_dir(dir.path(), unbalanced_labels());
  cfg.val_size = 20;
  const DataSplit a = load_data(cfg, 1);
  REQUIRE(a.validation.n == 20);
  REQUIRE(a.train.n == 80);
  CHECK(class_counts(a.validation.labels) == std::vector<int>{12, 6, 2});
  const auto val_ids = image_ids(a.validation, a), train_ids = image_ids(a.train, a);
  std::vector<int> all = val_ids;
  all.insert(all.end(), train_ids.begin(), train_ids.end());
  std::sort(all.begin(), all.end());
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(all == expected);  // disjoint, and together the whole training file
  CHECK(std::is_sorted(train_ids.begin(), train_ids.end()));  // file order kept

  // Another train.seed: the same split (the seed only matters for generated data).
  const DataSplit b = load_data(cfg, 99);
  CHECK(image_ids(b.validation, b) == val_ids);
  CHECK(b.validation.labels == a.validation.labels);

  // train_size keeps the first N of the rest, and does not move the validation set.
  cfg.train_size = 30;
  const DataSplit c = load_data(cfg, 1);
  CHECK(image_ids(c.validation, c) == val_ids);
  CHECK(image_ids(c.train, c) == std::vector<int>(train_ids.begin(), train_ids.begin() + 30));
  // Standardized with the training images' statistics only.
  double sum = 0;
  for (float v : c.train.images) sum += v;
  CHECK(sum / static_cast<double>(c.train.images.size()) == Approx(0).margin(1e-5));
}

TEST_CASE("data.val_size: limits are errors that name the key", "[data][validation]") {
  test::TempDir dir;
  DataConfig cfg = tagged_idx_dir(dir.path(), unbalanced_labels());
  cfg.val_size = 100;
  CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }),
             Contains("data.val_size = 100 leaves no training images (the training set has 100)"));
  cfg.val_size = 40;
  cfg.train_size = 61;
  CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }),
             Contains("data.train_size = 61 is larger than the 60 training images left after data.val_size = 40"));
  cfg.train_size = 60;
  CHECK(load_data(cfg, 1).train.n == 60);
  cfg.val_size = 0;
  CHECK(load_data(cfg, 1).validation.n == 0);
}

TEST_CASE("data.val_size on synthetic data: held out of 6000 generated images", "[data][validation]") {
  DataConfig cfg;
  cfg.dataset = "synthetic";
  cfg.test_size = 10;
  cfg.val_size = 500;
  cfg.train_size = 300;
  const DataSplit split = load_data(cfg, 3);
  CHECK(split.train.n == 300);
  CHECK(split.validation.n == 500);
  const DataShape shape = expected_data_shape(cfg);
  CHECK(shape.train_n == 300);
  CHECK(shape.val_n == 500);
  CHECK(shape.pool_n == 6000);
  cfg.train_size.reset();
  CHECK(expected_data_shape(cfg).train_n == 5500);
}
