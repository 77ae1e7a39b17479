// "Did you mean ...?": the closest valid name to a misspelled key or enum value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bnlab {

// Optimal-string-alignment edit distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost 1 ("trian" -> "train" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate a user most likely meant by `word`, or nothing when none is close. In order:
// the same name up to case and '-' vs '_' ("ReLU" -> "relu"); an acronym ("learning_rate" -> "lr",
// "wd" -> "weight_decay"); a prefix of at least 3 characters, the longest shared one first
// ("batch" -> "batch_size", "batchnorm" -> "batch"); the smallest edit distance, at most a third of
// the word's length (at least 1).
// Ties go to the earlier candidate.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace bnlab
