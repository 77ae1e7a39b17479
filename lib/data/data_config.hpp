// The `data` section of a run config (docs/config.md: "Config reference"). Defaults live here only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bnlab {

struct DataConfig {
  std::string dataset = "fashion-mnist";      // fashion-mnist | mnist | synthetic
  std::optional<std::string> dir;             // folder with the four IDX(.gz) files; required for mnist
  std::optional<std::int64_t> train_size;     // first N training images (null: all)
  std::optional<std::int64_t> test_size;      // first N test images (null: all)
  std::int64_t val_size = 0;                  // training images held out for validation (validation_split.hpp)
  std::string batching = "shuffled";          // shuffled | by_class
};

}  // namespace bnlab
