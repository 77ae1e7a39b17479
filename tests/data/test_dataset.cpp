// load_data(): IDX directories, subsets, standardization, the synthetic set, and the errors a user
// sees for a missing or broken data set or a bad data config.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "core/errors.hpp"
#include "data/dataset.hpp"
#include "data/idx.hpp"
#include "idx_files.hpp"

using namespace bnlab;
using bnlab::test::message_of;
using Catch::Matchers::Contains;

namespace {

DataConfig mnist_in(const std::filesystem::path& dir) {
  DataConfig cfg;
  cfg.dataset = "mnist";
  cfg.dir = dir.string();
  return cfg;
}

void check_mean_std(const std::vector<float>& v, double mean, double std, double tol) {
  double sum = 0, sq = 0;
  for (float x : v) sum += x;
  const double m = sum / static_cast<double>(v.size());
  for (float x : v) sq += (x - m) * (x - m);
  CHECK(m == Approx(mean).margin(tol));
  CHECK(std::sqrt(sq / static_cast<double>(v.size())) == Approx(std).margin(tol));
}

}  // namespace

TEST_CASE("load_data reads an IDX directory (gzipped or plain) and standardizes", "[data]") {
  const bool gzip = GENERATE(false, true);
  test::TempDir dir;
  test::write_idx_dir(dir.path(), 30, 12, 5, 4, gzip);
  const DataSplit split = load_data(mnist_in(dir.path()), 1);

  CHECK(split.train.n == 30);
  CHECK(split.test.n == 12);
  CHECK(split.train.channels == 1);
  CHECK(split.train.height == 5);
  CHECK(split.train.width == 4);
  CHECK(split.train.sample_size() == 20);
  CHECK(split.train.images.size() == 30 * 20);
  CHECK(split.train.labels == std::vector<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4,
                                                        5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  check_mean_std(split.train.images, 0.0, 1.0, 1e-5);
  // Undoing the standardization gives back the raw pixels / 255, for train and test alike.
  const auto raw_test = test::pattern_pixels(12, 5, 4);
  for (std::size_t i = 0; i < raw_test.size(); ++i) {
    const double x = split.test.images[i] * split.pixel_std + split.pixel_mean;
    REQUIRE(x == Approx(raw_test[i] / 255.0).margin(1e-5));
  }
}

TEST_CASE("load_data prefers .gz and falls back to the plain file", "[data]") {
  test::TempDir dir;
  test::write_idx_dir(dir.path(), 20, 10, 4, 4, true);
  test::write_idx_dir(dir.path(), 15, 5, 4, 4, false);
  CHECK(load_data(mnist_in(dir.path()), 1).train.n == 20);
  std::filesystem::remove(dir / "t10k-labels-idx1-ubyte.gz");
  std::filesystem::remove(dir / "t10k-images-idx3-ubyte.gz");
  CHECK(load_data(mnist_in(dir.path()), 1).test.n == 5);
}

TEST_CASE("train_size/test_size keep the first N samples, and only those set the standardization", "[data]") {
  test::TempDir dir;
  test::write_idx_dir(dir.path(), 40, 20, 3, 3, true);
  DataConfig cfg = mnist_in(dir.path());
  cfg.train_size = 13;
  cfg.test_size = 7;
  const DataSplit split = load_data(cfg, 1);
  REQUIRE(split.train.n == 13);
  REQUIRE(split.test.n == 7);
  CHECK(split.train.labels.size() == 13);
  CHECK(split.train.images.size() == 13 * 9);
  CHECK(split.train.labels[12] == 2);
  check_mean_std(split.train.images, 0.0, 1.0, 1e-5);
  const auto raw = test::pattern_pixels(13, 3, 3);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    REQUIRE(split.train.images[i] * split.pixel_std + split.pixel_mean == Approx(raw[i] / 255.0).margin(1e-5));
  }

  SECTION("asking for more than the data set has is a ConfigError naming the key") {
    cfg.train_size = 41;
    CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }),
               Contains("data.train_size") && Contains("41") && Contains("40"));
    cfg.train_size = 40;
    cfg.test_size = 21;
    CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }), Contains("data.test_size"));
  }
  SECTION("sizes below 1 are ConfigErrors") {
    cfg.train_size = 0;
    CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }), Contains("data.train_size"));
  }
}

TEST_CASE("load_data: config problems are ConfigErrors", "[data]") {
  DataConfig cfg;
  cfg.dataset = "mnist";
  CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }), Contains("data.dir"));
  cfg.dataset = "cifar";
  CHECK_THAT(message_of<ConfigError>([&] { load_data(cfg, 1); }),
             Contains("data.dataset") && Contains("cifar") && Contains("fashion-mnist"));
}

TEST_CASE("load_data: missing or broken data sets are DataErrors that say what to do", "[data]") {
  test::TempDir dir;
  SECTION("fashion-mnist missing: names the folder and the Debian package") {
    DataConfig cfg;
    cfg.dir = (dir / "absent").string();
    CHECK_THAT(message_of<DataError>([&] { load_data(cfg, 1); }),
               Contains((dir / "absent").string()) && Contains("apt-get install dataset-fashion-mnist") &&
                   Contains("data.dir"));
  }
  SECTION("one file missing: names it") {
    test::write_idx_dir(dir.path(), 10, 10, 2, 2, true);
    std::filesystem::remove(dir / "t10k-labels-idx1-ubyte.gz");
    CHECK_THAT(message_of<DataError>([&] { load_data(mnist_in(dir.path()), 1); }),
               Contains(dir.path().string()) && Contains("t10k-labels-idx1-ubyte"));
  }
  SECTION("image/label count mismatch: names both files") {
    test::write_idx_dir(dir.path(), 10, 10, 2, 2, true);
    test::write_idx(dir / "train-labels-idx1-ubyte.gz", kIdxLabelsMagic, {9}, test::pattern_labels(9), true);
    CHECK_THAT(message_of<DataError>([&] { load_data(mnist_in(dir.path()), 1); }),
               Contains((dir / "train-images-idx3-ubyte.gz").string()) &&
                   Contains((dir / "train-labels-idx1-ubyte.gz").string()) && Contains("10 images") &&
                   Contains("9 labels"));
  }
  SECTION("label out of range") {
    test::write_idx_dir(dir.path(), 10, 10, 2, 2, false);
    test::write_idx(dir / "t10k-labels-idx1-ubyte", kIdxLabelsMagic, {10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 12}, false);
    CHECK_THAT(message_of<DataError>([&] { load_data(mnist_in(dir.path()), 1); }),
               Contains((dir / "t10k-labels-idx1-ubyte").string()) && Contains("label 12"));
  }
  SECTION("corrupt file inside the directory: the reader's error comes through") {
    test::write_idx_dir(dir.path(), 10, 10, 2, 2, true);
    test::write_idx(dir / "t10k-images-idx3-ubyte.gz", kIdxImagesMagic, {10, 2, 2}, {1, 2, 3}, true);
    CHECK_THAT(message_of<DataError>([&] { load_data(mnist_in(dir.path()), 1); }),
               Contains("t10k-images-idx3-ubyte.gz: truncated"));
  }
}

TEST_CASE("synthetic data: shapes, defaults, determinism, prefix property", "[data][synthetic]") {
  DataConfig cfg;
  cfg.dataset = "synthetic";
  const DataSplit a = load_data(cfg, 7);
  CHECK(a.train.n == 6000);
  CHECK(a.test.n == 1000);
  CHECK(a.train.sample_size() == 784);
  CHECK(a.train.num_classes == 10);
  std::set<std::int32_t> classes(a.train.labels.begin(), a.train.labels.end());
  CHECK(classes == std::set<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  check_mean_std(a.train.images, 0.0, 1.0, 1e-4);
  check_mean_std(a.test.images, 0.0, 1.0, 0.05);  // same distribution, train statistics

  const DataSplit same = load_data(cfg, 7);
  CHECK(same.train.images == a.train.images);
  CHECK(same.train.labels == a.train.labels);
  CHECK(same.test.images == a.test.images);

  const DataSplit other = load_data(cfg, 8);
  CHECK(other.train.images != a.train.images);
  CHECK(other.train.labels != a.train.labels);

  // A smaller set is a prefix of the larger one (compare the raw [0, 1] pixels).
  const DataSplit big = make_synthetic(300, 50, 7), small = make_synthetic(100, 20, 7);
  CHECK(std::equal(small.train.images.begin(), small.train.images.end(), big.train.images.begin()));
  CHECK(std::equal(small.test.labels.begin(), small.test.labels.end(), big.test.labels.begin()));
  CHECK(std::all_of(small.train.images.begin(), small.train.images.end(),
                    [](float v) { return v >= 0.0f && v <= 1.0f; }));
}

TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist loads whole", "[data][fashion]") {
  if (!std::filesystem::exists(default_fashion_mnist_dir() / "train-images-idx3-ubyte.gz")) {
    WARN("dataset-fashion-mnist not installed; skipping");
    return;
  }
  const DataSplit split = load_data(DataConfig{}, 1);  // load time is a benchmark matter, not a test
  CHECK(split.train.n == 60000);
  CHECK(split.test.n == 10000);
  CHECK(split.train.height == 28);
  CHECK(split.train.width == 28);
  CHECK(split.train.images.size() == 60000u * 784u);
  std::vector<int> per_class(10, 0);
  int out_of_range = 0;
  for (auto label : split.train.labels) {
    if (label < 0 || label > 9) ++out_of_range;
    else ++per_class[static_cast<std::size_t>(label)];
  }
  for (auto label : split.test.labels) out_of_range += (label < 0 || label > 9) ? 1 : 0;
  CHECK(out_of_range == 0);
  CHECK(per_class == std::vector<int>(10, 6000));
  CHECK(split.pixel_mean == Approx(0.2860).margin(1e-3));  // the usual Fashion-MNIST statistics
  CHECK(split.pixel_std == Approx(0.3530).margin(1e-3));
}
