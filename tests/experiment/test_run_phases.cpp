// Where a run's time goes (status.json and runs.csv: data_s, build_s, train_s, eval_s, probe_s,
// write_s), and the experiment's data cache as runs use it (issue 18).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "experiment/run.hpp"
#include "results_test_util.hpp"

namespace bnlab::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kPhases[] = {"data_s", "build_s", "train_s", "eval_s", "probe_s", "write_s"};

}  // namespace

TEST_CASE("a run's phases are in status.json and runs.csv, non-negative, and add up to at most its wall time",
          "[runner][phases]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2]})", R"("probes": {"train_mode_accuracy": {}})");
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  for (const auto& run : expand(e)) {
    const json status = read_status(tmp.path() / "tiny" / "runs" / run.run_id);
    double sum = 0;
    for (const char* phase : kPhases) {
      INFO(phase);
      REQUIRE(status.contains(phase));
      CHECK(status[phase].get<double>() >= 0);
      sum += status[phase].get<double>();
    }
    CHECK(sum <= status["wall_s"].get<double>());
    CHECK(status["train_s"].get<double>() > 0);  // 20 steps
    CHECK(status["eval_s"].get<double>() > 0);   // 2 evaluations
    CHECK(status["probe_s"].get<double>() > 0);  // train_mode_accuracy evaluates twice per evaluation
  }
  for (const char* phase : kPhases) CHECK(csv_column(tmp.path() / "tiny" / "runs.csv", phase).size() == 2);
}

TEST_CASE("runs of an experiment share its data cache file: the first builds it, the next maps it",
          "[runner][data_cache]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"optimizer.lr": [0.1, 0.2]})");
  auto options = test_options(tmp.path(), 2);  // two processes: the in-process cache cannot serve the second
  REQUIRE(run_experiment(e, options).exit_status == 0);
  std::vector<std::string> sources;
  for (const auto& run : expand(e)) sources.push_back(read_status(tmp.path() / "tiny" / "runs" / run.run_id)["data"]["cache"]);
  std::sort(sources.begin(), sources.end());
  // Both jobs start at once: each may find no file yet; a later job maps what an earlier wrote.
  CHECK((sources == std::vector<std::string>{"built", "reused"} || sources == std::vector<std::string>{"built", "built"}));
  options.force = true;
  REQUIRE(run_experiment(e, options).exit_status == 0);
  for (const auto& run : expand(e))
    CHECK(read_status(tmp.path() / "tiny" / "runs" / run.run_id)["data"]["cache"] == "reused");
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(tmp.path() / "tiny" / kDataCacheFolder)) {
    CHECK(entry.path().extension() == ".bin");  // no temporaries left
    ++files;
  }
  CHECK(files == 1);
}

}  // namespace bnlab::testing
