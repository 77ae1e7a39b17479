// The runner: resume after a kill, skipping finished runs, --force, --retry-failed, a failing run
// recorded while the others finish (in this process and as child processes), a crashing child,
// missing data -> exit status 3, and the shards of a plan.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "core/errors.hpp"
#include "experiment/run.hpp"
#include "experiment/runner.hpp"
#include "results_test_util.hpp"

using namespace bnlab;
using bnlab::testing::csv_column;
using bnlab::testing::run_ids;
using bnlab::testing::sorted;
using bnlab::testing::TempDir;
using bnlab::testing::test_options;
using bnlab::testing::tiny_experiment;
using bnlab::testing::write_text;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string status_of(const fs::path& run_dir) {
  const json status = read_status(run_dir);
  return status.is_object() ? status.value("status", "?") : "<none>";
}

// Every run of the plan has a status.json and runs.csv lists them in plan order.
void check_all_collected(const fs::path& dir, const std::vector<PlannedRun>& plan) {
  CHECK(csv_column(dir / "runs.csv", "run_id") == run_ids(plan));
  for (const auto& run : plan) CHECK(fs::exists(dir / "runs" / run.run_id / "status.json"));
}

}  // namespace

TEST_CASE("a run gets a folder with config, plan, metrics and status, and a runs.csv row", "[runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2]})");
  const auto report = run_experiment(e, test_options(tmp.path()));
  CHECK(report.exit_status == 0);
  CHECK(report.ran.size() == 2);
  const auto plan = expand(e);
  check_all_collected(tmp.path() / "tiny", plan);
  const fs::path run_dir = tmp.path() / "tiny" / "runs" / plan[0].run_id;
  for (const char* f : {"config.json", "plan.json", "metrics.csv", "status.json"}) CHECK(fs::exists(run_dir / f));
  const json status = read_status(run_dir);
  CHECK(status["status"] == "ok");
  CHECK(status["steps"] == 20);
  CHECK(status["threads"] == 1);
  CHECK(status["peak_rss_mb"].get<double>() > 1);
  CHECK(csv_column(tmp.path() / "tiny" / "metrics.csv", "step") ==
        std::vector<std::string>{"10", "20", "10", "20"});
}

TEST_CASE("the validation columns: filled with data.val_size, empty without; steps_to_target_on says the set",
          "[runner][validation]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"data.val_size": [0, 50]})");
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  const fs::path runs = tmp.path() / "tiny" / "runs.csv", metrics = tmp.path() / "tiny" / "metrics.csv";
  CHECK(csv_column(runs, "data.val_size") == std::vector<std::string>{"0", "50"});
  CHECK(csv_column(runs, "steps_to_target_on") == std::vector<std::string>{"test", "val"});
  for (const char* column : {"final_val_loss", "final_val_acc", "best_val_acc"}) {
    INFO(column);
    const auto cells = csv_column(runs, column);
    REQUIRE(cells.size() == 2);
    CHECK(cells[0].empty());
    CHECK(std::stod(cells[1]) > 0);
  }
  CHECK(!csv_column(runs, "final_test_loss")[0].empty());
  CHECK(csv_column(metrics, "val_acc")[0].empty());
  CHECK(!csv_column(metrics, "val_acc")[3].empty());
  CHECK(csv_column(metrics, "val_acc")[3] == csv_column(runs, "final_val_acc")[1]);
  const json status = read_status(tmp.path() / "tiny" / "runs" / expand(e)[1].run_id);
  CHECK(status["data"]["val_samples"] == 50);
  CHECK(status["data"]["train_samples"] == 200);
}

TEST_CASE("precise BN: its columns and precise_bn.csv for a BN run, empty cells without BN", "[runner][precise_bn]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"model.norm": ["batch", "none"], "train.precise_bn_samples": [0, 100]})");
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  const fs::path runs = tmp.path() / "tiny" / "runs.csv";
  // Plan order: (batch, 0), (batch, 100), (none, 0), (none, 100).
  REQUIRE(csv_column(runs, "model.norm") == std::vector<std::string>{"batch", "batch", "none", "none"});
  REQUIRE(csv_column(runs, "train.precise_bn_samples") == std::vector<std::string>{"0", "100", "0", "100"});
  for (const char* column : {"precise_test_loss", "precise_test_acc", "batch_stats_test_loss", "batch_stats_test_acc"}) {
    INFO(column);
    const auto cells = csv_column(runs, column);
    CHECK(cells[0].empty());
    CHECK(std::stod(cells[1]) > 0);
    CHECK(cells[2].empty());
    CHECK(cells[3].empty());  // no BN layer: nothing to recompute
  }
  CHECK(csv_column(runs, "precise_val_acc")[1].empty());  // no validation set
  const auto plan = expand(e);
  const fs::path with = tmp.path() / "tiny" / "runs" / plan[1].run_id;
  CHECK(csv_column(with / "precise_bn.csv", "layer") == std::vector<std::string>{"0"});
  CHECK(csv_column(with / "precise_bn.csv", "channels") == std::vector<std::string>{"16"});
  CHECK(read_status(with)["precise_samples"] == 100);
  CHECK(read_status(with)["files"].contains("precise_bn.csv"));
  CHECK_FALSE(fs::exists(tmp.path() / "tiny" / "runs" / plan[0].run_id / "precise_bn.csv"));
  CHECK_FALSE(fs::exists(tmp.path() / "tiny" / "runs" / plan[3].run_id / "precise_bn.csv"));
  // The EMA evaluation is the same with and without precise BN afterwards.
  CHECK(csv_column(runs, "final_test_loss")[0] == csv_column(runs, "final_test_loss")[1]);
}

TEST_CASE("a rerun skips finished runs, and force reruns them all", "[runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3]})");
  REQUIRE(run_experiment(e, test_options(tmp.path())).ran.size() == 3);

  const auto again = run_experiment(e, test_options(tmp.path()));
  CHECK(again.exit_status == 0);
  CHECK(again.ran.empty());
  CHECK(again.skipped == 3);

  auto options = test_options(tmp.path());
  options.force = true;
  const auto forced = run_experiment(e, options);
  CHECK(forced.exit_status == 0);
  CHECK(sorted(forced.ran) == sorted(run_ids(expand(e))));
  check_all_collected(tmp.path() / "tiny", expand(e));
}

TEST_CASE("resume after a kill: only the run without status.json runs again, stale temporaries go", "[runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3]})");
  const auto plan = expand(e);
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);

  // What a kill -9 in the middle of run 1 leaves: config.json and plan.json, a metrics.csv of
  // the evaluations so far, a temporary file of the write in progress, no status.json.
  const fs::path killed = tmp.path() / "tiny" / "runs" / plan[1].run_id;
  fs::remove(killed / "status.json");
  write_text(killed / ".metrics.csv.tmp.1234", "step,epoch\n10,0.");
  // ... and a run killed before its first evaluation: only config.json.
  const fs::path early = tmp.path() / "tiny" / "runs" / plan[2].run_id;
  fs::remove(early / "status.json");
  fs::remove(early / "metrics.csv");
  fs::remove(early / "plan.json");
  // a half-written runs.csv of a collect that was killed
  write_text(tmp.path() / "tiny" / ".runs.csv.tmp.otherhost-99", "run_id,sta");

  const auto report = run_experiment(e, test_options(tmp.path()));
  CHECK(report.exit_status == 0);
  CHECK(sorted(report.ran) == sorted({plan[1].run_id, plan[2].run_id}));
  CHECK(report.skipped == 1);
  CHECK_FALSE(fs::exists(killed / ".metrics.csv.tmp.1234"));
  CHECK(status_of(killed) == "ok");
  CHECK(status_of(early) == "ok");
  check_all_collected(tmp.path() / "tiny", plan);
}

TEST_CASE("a run that throws is recorded as failed and the others finish", "[runner]") {
  // batch_size 500 passes validation but the 200 training images cannot fill a batch: the run
  // throws when training starts.
  const Experiment e = tiny_experiment(R"({"train.batch_size": [20, 500, 10]})");
  const auto plan = expand(e);
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    TempDir tmp;
    const auto report = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(report.exit_status == 1);
    CHECK(report.ran.size() == 3);
    CHECK(report.failed == 1);
    const fs::path dir = tmp.path() / "tiny";
    CHECK(csv_column(dir / "runs.csv", "status") == std::vector<std::string>{"ok", "failed", "ok"});
    const json failed = read_status(dir / "runs" / plan[1].run_id);
    CHECK(failed["error_kind"] == "config");
    CHECK_THAT(failed["error"].get<std::string>(), Catch::Contains("batch_size"));
    CHECK(csv_column(dir / "runs.csv", "error")[1] == failed["error"].get<std::string>());

    // A rerun skips the failed run but still reports it; --retry-failed runs only it again.
    const auto again = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(again.exit_status == 1);
    CHECK(again.ran.empty());
    auto options = test_options(tmp.path(), jobs);
    options.retry_failed = true;
    const auto retried = run_experiment(e, options);
    CHECK(retried.exit_status == 1);
    CHECK(retried.ran == std::vector<std::string>{plan[1].run_id});
  }
}

TEST_CASE("child processes give the same results as runs in this process", "[runner]") {
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3], "optimizer.lr": [0.05, 0.1]})");
  TempDir one, two;
  REQUIRE(run_experiment(e, test_options(one.path(), 1)).exit_status == 0);
  const auto report = run_experiment(e, test_options(two.path(), 2));
  REQUIRE(report.exit_status == 0);
  CHECK(report.ran.size() == 6);
  for (const char* column : {"run_id", "status", "train.seed", "optimizer.lr", "steps", "final_train_loss",
                             "final_test_loss", "final_test_acc", "best_test_acc", "threads"})
    CHECK(csv_column(one.path() / "tiny" / "runs.csv", column) == csv_column(two.path() / "tiny" / "runs.csv", column));
  CHECK(read_file(one.path() / "tiny" / "runs" / report.ran[0] / "metrics.csv").size() > 0);
}

TEST_CASE("a child that crashes is recorded as failed with the signal, and the sweep goes on", "[runner]") {
  TempDir tmp;
  // A stand-in for bnlab that crashes on one run: the second run's folder name is in the script.
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3]})");
  const auto plan = expand(e);
  const fs::path fake = tmp.path() / "fake_bnlab";
  write_text(fake, "#!/bin/sh\ncase \"$2\" in *" + plan[1].run_id + ") echo about to crash >&2; kill -SEGV $$;; esac\nexec '" +
                       std::string(BNLAB_EXE) + "' \"$@\"\n");
  fs::permissions(fake, fs::perms::owner_all);
  auto options = test_options(tmp.path() / "out", 2);
  options.executable = fake;
  const auto report = run_experiment(e, options);
  CHECK(report.exit_status == 1);
  const fs::path dir = tmp.path() / "out" / "tiny";
  CHECK(csv_column(dir / "runs.csv", "status") == std::vector<std::string>{"ok", "failed", "ok"});
  const json crashed = read_status(dir / "runs" / plan[1].run_id);
  CHECK(crashed["error"] == "crashed: signal 11 (Segmentation fault); last output: about to crash");
  CHECK(crashed["error_kind"] == "crash");
  CHECK(crashed["index"] == 1);
  CHECK(crashed["swept"] == json{{"train.seed", 2}});
}

TEST_CASE("a child that cannot be started fails its runs, not the sweep", "[runner]") {
  TempDir tmp;
  auto options = test_options(tmp.path(), 2);
  options.executable = tmp.path() / "no_such_binary";
  const auto report = run_experiment(tiny_experiment(R"({"train.seed": [1, 2]})"), options);
  CHECK(report.exit_status == 1);
  CHECK(csv_column(tmp.path() / "tiny" / "runs.csv", "status") == std::vector<std::string>{"failed", "failed"});
}

TEST_CASE("missing data files give exit status 3, also when skipped on a rerun", "[runner]") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "empty");
  const std::string text = R"({"name": "nodata", "data": {"dataset": "mnist", "dir": ")" +
                           (tmp.path() / "empty").string() + R"("}, "train": {"steps": 5}})";
  const Experiment e = parse_experiment(text, "nodata.json");
  const auto report = run_experiment(e, test_options(tmp.path()));
  CHECK(report.exit_status == 3);
  const json status = read_status(tmp.path() / "nodata" / "runs" / expand(e)[0].run_id);
  CHECK(status["error_kind"] == "data");
  CHECK(run_experiment(e, test_options(tmp.path())).exit_status == 3);
}

TEST_CASE("the shards of a plan are disjoint and together are the whole plan", "[runner][shard]") {
  const auto plan = expand(tiny_experiment(R"({"train.seed": [1, 2, 3, 4, 5, 6, 7]})"));
  for (std::size_t n = 1; n <= 9; ++n) {
    INFO("N = " << n);
    std::vector<std::string> all;
    for (std::size_t k = 0; k < n; ++k) {
      const auto shard = select_shard(plan, Shard{k, n});
      for (const auto& run : shard) CHECK(run.index % n == k);
      for (const auto& id : run_ids(shard)) all.push_back(id);
    }
    CHECK(all.size() == plan.size());  // no run twice
    CHECK(sorted(all) == sorted(run_ids(plan)));
  }
  CHECK(run_ids(select_shard(plan, std::nullopt)) == run_ids(plan));
}

TEST_CASE("shard K/N parsing: 0 <= K < N", "[runner][shard]") {
  CHECK(parse_shard("0/1").index == 0);
  CHECK(parse_shard("3/4").index == 3);
  CHECK(parse_shard("3/4").count == 4);
  for (const char* bad : {"4/4", "-1/4", "1/0", "1", "a/b", "1/2x", " 1/2", "1/", "/2", "+1/2", ""})
    CHECK_THROWS_AS(parse_shard(bad), ConfigError);
}

TEST_CASE("Slurm array tasks select their shard, also with an array that does not start at 0", "[runner][shard]") {
  auto shard_for = [](std::map<std::string, std::string> env) {
    return shard_from_slurm_env([env](const char* name) -> const char* {
      const auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
  };
  CHECK_FALSE(shard_for({}).has_value());
  // One without the other would run the whole plan in every task: refused.
  CHECK_THROWS_AS(shard_for({{"SLURM_ARRAY_TASK_ID", "3"}}), ConfigError);
  CHECK_THROWS_AS(shard_for({{"SLURM_ARRAY_TASK_COUNT", "4"}}), ConfigError);
  auto s = shard_for({{"SLURM_ARRAY_TASK_ID", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "0"}});
  REQUIRE(s);
  CHECK((s->index == 2 && s->count == 4));
  s = shard_for({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SLURM_ARRAY_TASK_MIN", "10"}});
  REQUIRE(s);
  CHECK((s->index == 2 && s->count == 4));
  s = shard_for({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                 {"SLURM_ARRAY_TASK_STEP", "3"}});  // --array=1-7:3 -> 1, 4, 7
  REQUIRE(s);
  CHECK((s->index == 2 && s->count == 3));
  CHECK_THROWS_AS(shard_for({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), ConfigError);
  CHECK_THROWS_AS(shard_for({{"SLURM_ARRAY_TASK_ID", "9"}, {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}}),
                  ConfigError);  // --array=1,5,9
  CHECK_THROWS_AS(shard_for({{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}), ConfigError);
}

TEST_CASE("a shard runs its runs only and collects what is there", "[runner][shard]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3, 4, 5]})");
  const auto plan = expand(e);
  auto options = test_options(tmp.path());
  options.shard = Shard{1, 2};
  const auto first = run_experiment(e, options);
  CHECK(first.selected == 2);
  CHECK(first.ran == std::vector<std::string>{plan[1].run_id, plan[3].run_id});
  options.shard = Shard{0, 2};
  const auto second = run_experiment(e, options);
  CHECK(second.ran == std::vector<std::string>{plan[0].run_id, plan[2].run_id, plan[4].run_id});
  check_all_collected(tmp.path() / "tiny", plan);
}

TEST_CASE("the data cache shares loaded data and keeps the most recently used sets", "[runner]") {
  DataCache cache(2);
  DataConfig config;
  config.dataset = "synthetic";
  config.train_size = 50;
  config.test_size = 20;
  const DataSplit* seed1 = &cache.get(config, 1);
  CHECK(seed1->train.n == 50);
  CHECK(&cache.get(config, 1) == seed1);
  const DataSplit* seed2 = &cache.get(config, 2);
  CHECK(seed2 != seed1);                      // synthetic data depends on the seed
  CHECK(&cache.get(config, 1) == seed1);      // 1 is now the most recent, 2 the oldest
  cache.get(config, 3);                       // evicts 2
  CHECK(&cache.get(config, 1) == seed1);
  CHECK(cache.get(config, 2).train.n == 50);  // loaded again
}

TEST_CASE("an enabled probe writes its CSV into the run folder; a bad setting is a config error", "[runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"probes.activation_percentiles.every": [5, 10]})",
                                       R"("probes": {"activation_percentiles": {"units": [0, 15]}, "train_mode_accuracy": {}})");
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  const auto plan = expand(e);
  const fs::path run_dir = tmp.path() / "tiny" / "runs" / plan[1].run_id;
  // every 10 over 20 steps: steps 1, 10, 20; two units; three percentiles
  CHECK(csv_column(run_dir / "activation_percentiles.csv", "step").size() == 3 * 2 * 3);
  CHECK(csv_column(run_dir / "activation_percentiles.csv", "unit")[0] == "0");
  CHECK(csv_column(run_dir / "activation_percentiles.csv", "unit")[3] == "15");
  CHECK(csv_column(run_dir / "train_mode_accuracy.csv", "step") == std::vector<std::string>{"10", "20"});
  CHECK(csv_column(run_dir / "train_mode_accuracy.csv", "samples") == std::vector<std::string>{"100", "100"});

  CHECK_THROWS_WITH(tiny_experiment(R"({"probes.activation_percentiles.every": [5, 0]})",
                                    R"("probes": {"activation_percentiles": {}})"),
                    Catch::Contains("probes.activation_percentiles.every: must be an integer >= 1, got 0"));
  CHECK_THROWS_WITH(tiny_experiment(R"({"train.seed": [1]})", R"("probes": {"activation_percentiles": {"units": [16]}})"),
                    Catch::Contains("probes.activation_percentiles.units[0]: hidden layer 0 has 16 units, got 16"));
}
