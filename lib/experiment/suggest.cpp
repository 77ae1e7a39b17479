// Edit distance and the "closest valid name" heuristic used in config error messages.
#include "experiment/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace bnlab {

namespace {

// Lower case, '-' -> '_': the spellings a user does not mean to distinguish.
std::string normalized(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '-') c = '_';
  }
  return out;
}

// First letters of the '_'-separated words: "learning_rate" -> "lr". Empty for a single word.
std::string acronym(std::string_view s) {
  std::string out;
  bool start = true;
  std::size_t words = 0;
  for (char c : s) {
    if (c == '_') {
      start = true;
    } else if (start) {
      out += c;
      start = false;
      ++words;
    }
  }
  return words >= 2 ? out : std::string();
}

bool is_prefix(std::string_view prefix, std::string_view s) {
  return prefix.size() >= 3 && prefix.size() < s.size() && s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: i-2, i-1, i.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = normalized(word);
  if (w.empty()) return std::nullopt;
  for (const auto& c : candidates)
    if (normalized(c) == w) return c;
  const std::string w_acronym = acronym(w);
  for (const auto& c : candidates) {
    const std::string n = normalized(c);
    if ((!w_acronym.empty() && w_acronym == n) || (n.size() >= 2 && acronym(n) == w)) return c;
  }
  // A prefix: the longest shared one wins ("batch_re" -> "batch_renorm", "batchnorm" -> "batch").
  const std::string* best = nullptr;
  std::size_t best_shared = 0;
  for (const auto& c : candidates) {
    const std::string n = normalized(c);
    const std::size_t shared = std::min(w.size(), n.size());
    if ((is_prefix(w, n) || is_prefix(n, w)) && shared > best_shared) {
      best = &c;
      best_shared = shared;
    }
  }
  if (best) return *best;
  const std::size_t limit = std::max<std::size_t>(1, w.size() / 3);
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const std::string n = normalized(c);
    // The distance is at least the difference in length: skip hopeless candidates without the
    // quadratic edit distance (a 100 KB key from a hostile config).
    if (std::max(w.size(), n.size()) - std::min(w.size(), n.size()) > limit) continue;
    const std::size_t d = edit_distance(w, n);
    if (d < best_distance && d < std::max(w.size(), c.size())) {
      best = &c;
      best_distance = d;
    }
  }
  if (best) return *best;
  return std::nullopt;
}

}  // namespace bnlab
