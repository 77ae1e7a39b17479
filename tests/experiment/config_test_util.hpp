// Helpers of the experiment tests: the problems a config text gives, and a minimal valid config.
#pragma once

#include <string>
#include <vector>

#include "core/errors.hpp"
#include "experiment/sweep.hpp"

namespace bnlab::testing {

// Every problem parse_experiment reports for `text` (empty when it is valid).
inline std::vector<std::string> problems_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    parse_experiment(text, "test.json", sets);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

// A valid config: `sections` is spliced in after the name ("" for none), e.g. R"("model": {...})".
inline std::string config_with(const std::string& sections) {
  return R"({"name": "t")" + (sections.empty() ? std::string() : ", " + sections) + "}";
}

}  // namespace bnlab::testing
