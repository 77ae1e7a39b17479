// load_data(): IDX directories (fashion-mnist, mnist), the synthetic generator, subset selection and
// standardization. See dataset.hpp for the semantics; this file only implements them.
#include "data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <system_error>

#include "core/errors.hpp"
#include "core/random.hpp"
#include "data/checksum.hpp"
#include "data/idx.hpp"
#include "data/validation_split.hpp"

namespace bnlab {
namespace {

constexpr std::int64_t kSyntheticTrain = 6000, kSyntheticTest = 1000;
constexpr std::int64_t kSyntheticMax = 10'000'000;
constexpr std::int64_t kSide = 28, kClasses = 10;
const char* const kFashionHint =
    "install it with `apt-get install dataset-fashion-mnist` or set data.dir to a folder holding "
    "the four IDX files";

// `stem`.gz if present, else `stem`, else nullopt.
std::optional<std::filesystem::path> find_idx(const std::filesystem::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const auto& name : {stem + ".gz", stem}) {
    if (std::filesystem::exists(dir / name, ec)) return dir / name;
  }
  return std::nullopt;
}

// The first `n` images/labels of one IDX pair, pixels scaled to [0, 1].
Dataset read_pair(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                  const std::optional<std::int64_t>& size, const char* key, const std::string& name) {
  const IdxImages img = read_idx_images(images_path);
  const std::vector<std::uint8_t> labels = read_idx_labels(labels_path);
  if (static_cast<std::int64_t>(labels.size()) != img.count) {
    throw DataError(images_path.string() + " has " + std::to_string(img.count) + " images but " +
                    labels_path.string() + " has " + std::to_string(labels.size()) + " labels");
  }
  if (img.count == 0) throw DataError(images_path.string() + ": contains no images");
  std::int64_t n = img.count;
  if (size) {
    if (*size > img.count) {
      throw ConfigError(std::string(key) + " = " + std::to_string(*size) + " is larger than the " +
                        std::to_string(img.count) + " images of " + name + " (" +
                        images_path.string() + ")");
    }
    n = *size;
  }
  Dataset d;
  d.n = n;
  d.channels = 1;
  d.height = img.rows;
  d.width = img.cols;
  d.num_classes = kClasses;
  d.labels.resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto label = labels[static_cast<std::size_t>(i)];
    if (label >= kClasses) {
      throw DataError(labels_path.string() + ": label " + std::to_string(label) + " of sample " +
                      std::to_string(i) + " is out of range 0.." + std::to_string(kClasses - 1));
    }
    d.labels[static_cast<std::size_t>(i)] = label;
  }
  d.images.resize(static_cast<std::size_t>(n * d.sample_size()));
  std::transform(img.pixels.begin(), img.pixels.begin() + static_cast<std::ptrdiff_t>(d.images.size()),
                 d.images.begin(), [](std::uint8_t p) { return static_cast<float>(p) / 255.0f; });
  return d;
}

// The four IDX files of `dir`: train images, train labels, test images, test labels.
std::vector<std::filesystem::path> idx_files(const DataConfig& cfg, const std::filesystem::path& dir, bool fashion) {
  const std::string hint = fashion ? std::string("; ") + kFashionHint : "";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw DataError(cfg.dataset + " not found: " + dir.string() + " is not a directory" + hint);
  }
  std::vector<std::filesystem::path> paths;
  for (const char* stem : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"}) {
    const auto found = find_idx(dir, stem);
    if (!found) throw DataError(cfg.dataset + " not found: " + dir.string() + " has no " + stem + "(.gz)" + hint);
    paths.push_back(*found);
  }
  return paths;
}

DataSplit load_idx_dir(const DataConfig& cfg, const std::filesystem::path& dir, bool fashion) {
  const auto paths = idx_files(cfg, dir, fashion);
  DataSplit split;
  split.name = cfg.dataset;
  split.source = dir.string();
  for (const auto& path : paths) split.files.emplace_back(path.string(), file_checksum(path));
  // With a validation set the whole file is the pool it is held out of (load_data splits it).
  split.train = read_pair(paths[0], paths[1], cfg.val_size > 0 ? std::nullopt : cfg.train_size, "data.train_size",
                          cfg.dataset);
  split.test = read_pair(paths[2], paths[3], cfg.test_size, "data.test_size", cfg.dataset);
  if (split.train.height != split.test.height || split.train.width != split.test.width) {
    throw DataError(paths[2].string() + ": images are " + std::to_string(split.test.height) + "x" +
                    std::to_string(split.test.width) + " but the training images are " +
                    std::to_string(split.train.height) + "x" + std::to_string(split.train.width));
  }
  return split;
}

// The synthetic training images generated: 6000, or train_size (+ val_size) when more.
std::int64_t synthetic_pool(const DataConfig& cfg) {
  if (cfg.val_size <= 0) return cfg.train_size.value_or(kSyntheticTrain);
  return std::max(kSyntheticTrain, cfg.train_size.value_or(0) + cfg.val_size);
}

void check_size(const std::optional<std::int64_t>& size, const char* key) {
  if (size && *size < 1) throw ConfigError(std::string(key) + " must be at least 1 (got " + std::to_string(*size) + ")");
}

// One synthetic class prototype: a few Gaussian blobs, peak scaled to 1. (kSide, kSide)
std::vector<float> make_prototype(Rng& rng) {
  std::vector<float> p(kSide * kSide, 0.0f);
  const int blobs = 3 + static_cast<int>(rng.below(4));
  for (int b = 0; b < blobs; ++b) {
    const double cy = rng.uniform(5, 23), cx = rng.uniform(5, 23);
    const double sigma = rng.uniform(1.5, 4.0), amp = rng.uniform(0.4, 1.0);
    for (std::int64_t y = 0; y < kSide; ++y)
      for (std::int64_t x = 0; x < kSide; ++x) {
        const double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        p[y * kSide + x] += static_cast<float>(amp * std::exp(-d2 / (2 * sigma * sigma)));
      }
  }
  const float peak = *std::max_element(p.begin(), p.end());
  for (auto& v : p) v /= peak;
  return p;
}

// n samples drawn from `rng`: label uniform, prototype shifted by -2..2 pixels, contrast 0.5..1.2,
// brightness -0.15..0.15, noise N(0, 0.45), clamped to [0, 1].
Dataset generate(std::int64_t n, const std::vector<std::vector<float>>& protos, Rng& rng) {
  Dataset d;
  d.n = n;
  d.labels.resize(static_cast<std::size_t>(n));
  d.images.resize(static_cast<std::size_t>(n * d.sample_size()));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::int32_t>(rng.below(kClasses));
    const auto dy = static_cast<std::int64_t>(rng.below(5)) - 2;
    const auto dx = static_cast<std::int64_t>(rng.below(5)) - 2;
    const double contrast = rng.uniform(0.5, 1.2), brightness = rng.uniform(-0.15, 0.15);
    const auto& proto = protos[static_cast<std::size_t>(label)];
    float* out = d.images.data() + i * d.sample_size();
    for (std::int64_t y = 0; y < kSide; ++y)
      for (std::int64_t x = 0; x < kSide; ++x) {
        const std::int64_t sy = y - dy, sx = x - dx;
        const double base = (sy >= 0 && sy < kSide && sx >= 0 && sx < kSide) ? proto[sy * kSide + sx] : 0.0;
        const double v = contrast * base + brightness + rng.normal(0.0, 0.45);
        out[y * kSide + x] = static_cast<float>(std::clamp(v, 0.0, 1.0));
      }
    d.labels[static_cast<std::size_t>(i)] = label;
  }
  return d;
}

}  // namespace

std::filesystem::path default_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist/"; }

std::vector<std::filesystem::path> data_files(const DataConfig& cfg) {
  if (cfg.dataset == "fashion-mnist")
    return idx_files(cfg, cfg.dir ? std::filesystem::path(*cfg.dir) : default_fashion_mnist_dir(), true);
  if (cfg.dataset == "mnist" && cfg.dir) return idx_files(cfg, *cfg.dir, false);
  return {};  // synthetic; mnist without data.dir and an unknown name fail in load_data
}

DataSplit make_synthetic(std::int64_t train_size, std::int64_t test_size, std::uint64_t seed) {
  for (const auto& [size, key] : {std::pair{train_size, "data.train_size"}, std::pair{test_size, "data.test_size"}}) {
    if (size < 1 || size > kSyntheticMax) {
      throw ConfigError(std::string(key) + " = " + std::to_string(size) +
                        " is out of range for the synthetic data set (1.." + std::to_string(kSyntheticMax) + ")");
    }
  }
  // Every class shares half of its pattern with the others, so classes differ in the details.
  Rng proto_rng(derive_seed(seed, 0x5e7a));
  const std::vector<float> common = make_prototype(proto_rng);
  std::vector<std::vector<float>> protos;
  for (std::int64_t c = 0; c < kClasses; ++c) {
    protos.push_back(make_prototype(proto_rng));
    for (std::size_t j = 0; j < common.size(); ++j) protos.back()[j] = 0.5f * (common[j] + protos.back()[j]);
  }
  Rng train_rng(derive_seed(seed, 0x5e7b)), test_rng(derive_seed(seed, 0x5e7c));
  DataSplit split;
  split.name = "synthetic";
  split.source = "generated (seed " + std::to_string(seed) + ")";
  split.train = generate(train_size, protos, train_rng);
  split.test = generate(test_size, protos, test_rng);
  return split;
}

void standardize(DataSplit& split) {
  const auto& px = split.train.images;
  if (px.empty()) throw DataError(split.source + ": the training set is empty");
  double sum = 0.0;
  for (float v : px) sum += v;
  const double mean = sum / static_cast<double>(px.size());
  double sq = 0.0;
  for (float v : px) sq += (v - mean) * (v - mean);
  const double std = std::sqrt(sq / static_cast<double>(px.size()));
  if (!(std > 1e-12)) {
    throw DataError(split.source + ": every training pixel has the same value; cannot standardize");
  }
  const auto m = static_cast<float>(mean), inv = static_cast<float>(1.0 / std);
  for (auto* images : {&split.train.images, &split.validation.images, &split.test.images})
    for (auto& v : *images) v = (v - m) * inv;
  split.pixel_mean = mean;
  split.pixel_std = std;
}

DataShape expected_data_shape(const DataConfig& cfg) {
  DataShape shape;
  const bool synthetic = cfg.dataset == "synthetic";
  shape.pool_n = synthetic ? synthetic_pool(cfg) : cfg.val_size > 0 ? 60000 : cfg.train_size.value_or(60000);
  shape.train_n = cfg.train_size.value_or(shape.pool_n - cfg.val_size);
  shape.val_n = cfg.val_size;
  shape.test_n = cfg.test_size.value_or(synthetic ? kSyntheticTest : 10000);
  shape.height = shape.width = kSide;
  shape.num_classes = kClasses;
  return shape;
}

DataSplit load_data(const DataConfig& cfg, std::uint64_t seed) {
  check_size(cfg.train_size, "data.train_size");
  check_size(cfg.test_size, "data.test_size");
  DataSplit split;
  if (cfg.dataset == "synthetic") {
    split = make_synthetic(synthetic_pool(cfg), cfg.test_size.value_or(kSyntheticTest), seed);
  } else if (cfg.dataset == "fashion-mnist") {
    split = load_idx_dir(cfg, cfg.dir ? std::filesystem::path(*cfg.dir) : default_fashion_mnist_dir(), true);
  } else if (cfg.dataset == "mnist") {
    if (!cfg.dir) throw ConfigError("data.dir is required for data.dataset = \"mnist\" (the folder with its four IDX files)");
    split = load_idx_dir(cfg, *cfg.dir, false);
  } else {
    throw ConfigError("data.dataset: unknown value \"" + cfg.dataset +
                      "\" (valid: fashion-mnist, mnist, synthetic)");
  }
  if (cfg.val_size != 0) {
    auto parts = split_validation(split.train, cfg.val_size, cfg.train_size);
    split.train = std::move(parts.train);
    split.validation = std::move(parts.validation);
  }
  standardize(split);
  return split;
}

}  // namespace bnlab
