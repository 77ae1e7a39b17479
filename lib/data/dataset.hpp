// Data sets in memory, and load_data(): the one entry point that turns a DataConfig into a
// train/test split ready for training.
//
// Datasets (data.dataset):
//   fashion-mnist  Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist/ (or
//                  data.dir): 60000 train / 10000 test, 1x28x28, 10 classes.
//   mnist          the same four IDX files, from data.dir (required).
//   synthetic      generated from the seed: 10 classes, 1x28x28, 6000 train / 1000 test by default.
//                  Each class is a smooth random prototype (Gaussian blobs, half of it shared by
//                  all classes); a sample is its prototype shifted by up to 2 pixels, with random
//                  contrast and brightness and strong Gaussian pixel noise (std 0.45), clamped to
//                  [0, 1]. Learnable but not easy: a 784-100-10 MLP with plain SGD reaches about
//                  0.5 test accuracy after 100 steps of batch 60 and about 0.7 after 1000 (chance
//                  is 0.1). Same seed, same data, on every machine.
// In each IDX directory the files train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte are looked up with ".gz" first, then plain.
//
// Subsets: data.train_size / data.test_size keep the FIRST N samples of the file order (not a
// random subset); asking for more than the data set has is a ConfigError.
// Validation: data.val_size > 0 first holds out that many training images (stratified, fixed seed;
// validation_split.hpp), and data.train_size then keeps the first N of the rest. The pool it is
// held out of is the whole training file; for synthetic data it is 6000 images, or
// train_size + val_size when that is more.
//
// Standardization (like torchvision's ToTensor + Normalize with one scalar mean/std): pixels are
// scaled to [0, 1], then x' = (x - mean) / std with mean and std (population std) computed over
// every pixel of the SELECTED training images, and the same mean/std applied to the validation and
// test images. So the training set has mean 0 and std 1 exactly; the others approximately.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/data_config.hpp"

namespace bnlab {

struct Dataset {
  std::vector<float> images;          // (n, channels, height, width) row-major, standardized;
                                      // empty when the images are mapped (below)
  // Set when the images live read-only in a mapped cache file (data_file_cache.hpp) that
  // `storage` keeps open; same layout as `images`.
  const float* mapped_images = nullptr;
  std::shared_ptr<const void> storage;
  std::vector<std::int32_t> labels;   // (n) in [0, num_classes)
  std::int64_t n = 0;
  std::int64_t channels = 1;
  std::int64_t height = 28;
  std::int64_t width = 28;
  std::int64_t num_classes = 10;

  std::int64_t sample_size() const { return channels * height * width; }  // floats per image
  const float* pixels() const { return mapped_images ? mapped_images : images.data(); }
  std::int64_t pixel_count() const { return mapped_images ? n * sample_size() : static_cast<std::int64_t>(images.size()); }
  const float* image(std::int64_t i) const { return pixels() + i * sample_size(); }
};

struct DataSplit {
  Dataset train;
  Dataset validation;       // n == 0 without data.val_size
  Dataset test;
  std::string name;         // data.dataset
  std::string source;       // directory the files came from, or "generated (seed N)"
  std::vector<std::pair<std::string, std::string>> files;  // each file read and its checksum
                                                           // ("crc32:<8 hex>"), for provenance
  double pixel_mean = 0.0;  // standardization statistics of the [0,1]-scaled training pixels
  double pixel_std = 1.0;
};

// What `cfg` will load, known without loading it (for checks before a run: its step count, its
// memory). Counts are train_size/test_size when set, else the data set's own size (the IDX sets:
// 60000/10000 as Fashion-MNIST and MNIST ship; a folder of another size shows only at load time),
// less val_size. pool_n is the training images val_size is held out of.
struct DataShape {
  std::int64_t train_n = 0, val_n = 0, test_n = 0, pool_n = 0;
  std::int64_t channels = 1, height = 28, width = 28, num_classes = 10;
};
DataShape expected_data_shape(const DataConfig& cfg);

// Loads (or generates) the data set of `cfg`, selects train_size/test_size and standardizes.
// `seed` is used by the synthetic data set only. Throws ConfigError for config problems (unknown
// dataset, mnist without data.dir, a size larger than the data set) and DataError for missing or
// corrupt files.
DataSplit load_data(const DataConfig& cfg, std::uint64_t seed);

// The files load_data reads for `cfg` (images and labels, train then test; empty for synthetic
// data), found as load_data finds them: DataError when one is missing.
std::vector<std::filesystem::path> data_files(const DataConfig& cfg);

// Where fashion-mnist is looked up when data.dir is not set.
std::filesystem::path default_fashion_mnist_dir();

// The synthetic data set, unstandardized (pixels in [0, 1]): sample i is the same whatever the
// size asked for, so a smaller set is a prefix of a larger one with the same seed.
DataSplit make_synthetic(std::int64_t train_size, std::int64_t test_size, std::uint64_t seed);

// Standardizes split.train, split.validation and split.test in place with the train set's scalar mean/std (see
// above) and records them in pixel_mean/pixel_std. DataError if the training pixels are constant.
void standardize(DataSplit& split);

}  // namespace bnlab
