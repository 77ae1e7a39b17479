// libFuzzer target: arbitrary bytes as an experiment config (optionally preceded by lines
// "--set KEY=VALUE" that become --set overrides). parse_experiment may reject the input only with
// bnlab::ConfigError. An experiment it accepts must then expand without any error (validation
// promised every run is valid and distinct), and every run must round-trip through its resolved
// JSON with the same run id. Anything else (another exception, a crash, a sanitizer report) is a
// bug, and so is a rejection listing more than kMaxProblems + 1 problems; libFuzzer's -timeout and
// -rss_limit_mb (scripts/test.sh) make a slow or memory-hungry input a bug too. Build: cmake
// -DBNLAB_FUZZ=ON with clang, or see the command in tests/fuzz/README.md.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "experiment/sweep.hpp"

namespace {

// Expansion is linear in the runs (each is parsed and hashed); keep every input fast. The library's
// own limit (kMaxRuns) is exercised by parse_experiment.
constexpr std::size_t kMaxExpandedRuns = 2000;

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_config: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  const std::string prefix = "--set ";
  while (text.compare(0, prefix.size(), prefix) == 0) {
    const auto end = text.find('\n');
    sets.push_back(text.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size()));
    text = end == std::string::npos ? std::string() : text.substr(end + 1);
  }

  bnlab::Experiment experiment;
  try {
    experiment = bnlab::parse_experiment(text, "fuzz.json", sets);
  } catch (const bnlab::ConfigError& e) {
    if (e.problems().empty()) bug("ConfigError without problems", text);
    // One line per distinct problem, capped: a 30,000-run sweep must not print 30,000 lines.
    if (e.problems().size() > bnlab::kMaxProblems + 1) bug("more problems than kMaxProblems", e.what());
    return 0;
  }
  const std::size_t count = bnlab::run_count(experiment);
  if (count == 0 || count > bnlab::kMaxRuns) bug("accepted experiment with a bad run count", text);
  if (count > kMaxExpandedRuns) return 0;

  std::vector<bnlab::PlannedRun> runs;
  try {
    runs = bnlab::expand(experiment);
  } catch (const bnlab::ConfigError& e) {
    bug("expand rejected a validated experiment", std::string(e.what()) + "\n" + text);
  }
  if (runs.size() != count) bug("expand gave the wrong number of runs", text);
  for (const auto& run : runs) {
    const bnlab::RunConfig reparsed = bnlab::parse_run_config(run.resolved);  // must not throw
    if (!(reparsed == run.config)) bug("round trip changed the config", run.resolved.dump());
    if (bnlab::run_id(bnlab::to_json(reparsed)) != run.run_id) bug("run id not stable", run.resolved.dump());
  }
  return 0;
}
