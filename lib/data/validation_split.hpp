// data.val_size: a validation set held out of the training images, so that "best" values and
// steps_to_target are chosen without looking at the test set (docs/config.md, "Validation set").
//
// The rule, stratified by class: of a pool of N training images where class c has n_c, class c
// gives floor(val_size * n_c / N) images, and the val_size - sum(floor) left over go one each to
// the classes with the largest remainders (ties: the lower class). Within a class the images are a
// uniformly random subset drawn with a FIXED seed (kValidationSeed), not train.seed: every seed of
// a sweep trains and validates on the same split. Both parts keep the file order, and
// data.train_size then keeps the first N images of what is left. The split depends only on the
// pool's labels and val_size (not on train_size), so a larger train_size never moves an image from
// validation into training.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "data/dataset.hpp"

namespace bnlab {

inline constexpr std::uint64_t kValidationSeed = 0x7a11d;

// Indices (ascending) of the `val_size` images of `labels` that form the validation set.
std::vector<std::int64_t> validation_indices(const std::vector<std::int32_t>& labels, std::int64_t num_classes,
                                             std::int64_t val_size);

struct TrainValidation {
  Dataset train, validation;
};

// Splits `pool` by the rule above. ConfigError naming data.val_size when it leaves no training
// image, and data.train_size when it asks for more than is left.
TrainValidation split_validation(const Dataset& pool, std::int64_t val_size,
                                 const std::optional<std::int64_t>& train_size);

}  // namespace bnlab
