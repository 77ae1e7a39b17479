// The runner and run ownership: runs claimed by a live process are skipped and left untouched
// (also with --force), stale claims are taken over (temporaries of the dead holder removed), no
// claim is left behind, damaged runs are run again, and runs.csv holds only the plan's runs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>

#include "experiment/run_claim.hpp"
#include "experiment/collect.hpp"
#include "util/csv.hpp"
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

RunClaim claim_of(const std::string& host, long pid, std::int64_t age) {
  RunClaim claim;
  claim.holder = host + ":" + std::to_string(pid) + ":7";
  claim.host = host;
  claim.pid = pid;
  claim.started = claim.heartbeat = static_cast<std::int64_t>(std::time(nullptr)) - age;
  return claim;
}

bool any_claim_left(const fs::path& runs_dir) {
  for (const auto& entry : fs::recursive_directory_iterator(runs_dir))
    if (entry.path().filename() == "claim.json") return true;
  return false;
}

}  // namespace

TEST_CASE("a run claimed by a live process is skipped and untouched, also with --force", "[claim][runner]") {
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2, 3]})");
  const auto plan = expand(e);
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    TempDir tmp;
    const fs::path runs = tmp.path() / "tiny" / "runs";
    // Run 1 is being run by a process on another machine: its files are in the middle of a write.
    const fs::path busy = runs / plan[1].run_id;
    write_text(busy / "claim.json", claim_json(claim_of("node7", 4242, 1)));
    write_text(busy / "metrics.csv", "step,epoch\n10,0.5\n");
    write_text(busy / ".metrics.csv.tmp.node7-4242", "step,epoch\n10,0.5\n20,");

    auto report = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(report.exit_status == 0);
    CHECK(sorted(report.ran) == sorted({plan[0].run_id, plan[2].run_id}));
    CHECK(report.claimed_elsewhere == 1);
    CHECK(fs::exists(busy / ".metrics.csv.tmp.node7-4242"));
    CHECK(read_file(busy / "metrics.csv") == "step,epoch\n10,0.5\n");
    CHECK_FALSE(fs::exists(busy / "status.json"));
    CHECK(csv_column(tmp.path() / "tiny" / "runs.csv", "run_id") == std::vector<std::string>{plan[0].run_id, plan[2].run_id});

    auto forced = test_options(tmp.path(), jobs);
    forced.force = true;
    report = run_experiment(e, forced);
    CHECK(report.ran.size() == 2);
    CHECK(report.claimed_elsewhere == 1);
    CHECK(fs::exists(busy / ".metrics.csv.tmp.node7-4242"));
    CHECK(any_claim_left(runs));  // only node7's

    // node7 died: its heartbeat stops; once older than the limit the claim is taken over.
    write_text(busy / "claim.json", claim_json(claim_of("node7", 4242, kClaimStaleAfter.count() + 1)));
    report = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(report.ran == std::vector<std::string>{plan[1].run_id});
    CHECK(report.claimed_elsewhere == 0);
    CHECK_FALSE(fs::exists(busy / ".metrics.csv.tmp.node7-4242"));
    CHECK(read_status(busy)["status"] == "ok");
    CHECK_FALSE(any_claim_left(runs));
    CHECK(csv_column(tmp.path() / "tiny" / "runs.csv", "run_id") == run_ids(plan));
  }
}

TEST_CASE("a run finished with damaged files is run again", "[claim][runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2]})");
  const auto plan = expand(e);
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  const fs::path damaged = tmp.path() / "tiny" / "runs" / plan[0].run_id;
  const json status = read_status(damaged);
  REQUIRE(status["files"]["metrics.csv"]["rows"] == 2);
  const std::string metrics = read_file(damaged / "metrics.csv");
  write_text(damaged / "metrics.csv", metrics.substr(0, metrics.rfind('\n', metrics.size() - 2) + 1));  // one row short

  const auto report = run_experiment(e, test_options(tmp.path()));
  CHECK(report.ran == std::vector<std::string>{plan[0].run_id});
  std::size_t rows = 0;
  CHECK(csv_damage(read_file(damaged / "metrics.csv"), &rows) == "");
  CHECK(rows == 2);
}

TEST_CASE("adding plot.figure to a config reruns nothing and adds no runs.csv column", "[collect][runner][plot]") {
  TempDir tmp;
  const Experiment before = tiny_experiment(R"({"train.seed": [1, 2]})");
  const Experiment after = tiny_experiment(R"({"train.seed": [1, 2]})", R"("plot": {"figure": "convergence"})");
  REQUIRE(run_experiment(before, test_options(tmp.path())).exit_status == 0);
  const auto plan = expand(after);
  CHECK(run_ids(plan) == run_ids(expand(before)));
  // A folder of runs made before and after the key: one config names the figure, one does not.
  const fs::path run_dir = tmp.path() / "tiny" / "runs" / plan[1].run_id;
  write_text(run_dir / "config.json", plan[1].resolved.dump(2) + "\n");
  const auto report = run_experiment(after, test_options(tmp.path()));
  CHECK(report.ran.empty());
  CHECK(collect(tmp.path() / "tiny").differing_keys.empty());
  CHECK(read_file(tmp.path() / "tiny" / "runs.csv").find("plot.figure") == std::string::npos);
}

TEST_CASE("runs.csv holds the plan's runs; collect without a plan merges all and names what differs",
          "[collect][runner]") {
  TempDir tmp;
  const Experiment old_plan = tiny_experiment(R"({"train.seed": [1, 2]})");
  const Experiment new_plan = tiny_experiment(R"({"train.seed": [1, 2]})", R"("optimizer": {"lr": 0.05})");
  REQUIRE(run_experiment(old_plan, test_options(tmp.path())).exit_status == 0);
  const auto report = run_experiment(new_plan, test_options(tmp.path()));
  CHECK(report.ran.size() == 2);
  CHECK(report.other_plans == 2);
  const fs::path dir = tmp.path() / "tiny";
  CHECK(csv_column(dir / "runs.csv", "run_id") == run_ids(expand(new_plan)));
  CHECK(csv_column(dir / "runs.csv", "optimizer.lr") == std::vector<std::string>{"<missing>", "<missing>"});

  const CollectResult all = collect(dir);
  CHECK(all.runs == 4);
  CHECK(all.other_plans == 0);
  CHECK(all.differing_keys == std::vector<std::string>{"optimizer.lr"});
  auto lrs = csv_column(dir / "runs.csv", "optimizer.lr");
  std::sort(lrs.begin(), lrs.end());
  CHECK(lrs == std::vector<std::string>{"0.05", "0.05", "0.1", "0.1"});
  CHECK(csv_column(dir / "runs.csv", "train.seed") == std::vector<std::string>{"1", "1", "2", "2"});
  CHECK(csv_column(dir / "metrics.csv", "optimizer.lr").size() == 8);

  CollectOptions only_old;
  only_old.run_ids.emplace();
  for (const auto& run : expand(old_plan)) only_old.run_ids->insert(run.run_id);
  const CollectResult old_only = collect(dir, only_old);
  CHECK(old_only.runs == 2);
  CHECK(old_only.other_plans == 2);
  CHECK(csv_column(dir / "runs.csv", "run_id") == run_ids(expand(old_plan)));
}
