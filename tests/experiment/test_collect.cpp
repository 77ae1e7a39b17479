// collect: runs.csv and metrics.csv rebuilt from the run folders alone — in plan order, with the
// union of the swept keys — skipping what is unfinished, unreadable or not a run.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "experiment/collect.hpp"
#include "experiment/run_check.hpp"
#include "results_test_util.hpp"

using namespace bnlab;
using bnlab::testing::csv_column;
using bnlab::testing::TempDir;
using bnlab::testing::write_text;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_run(const fs::path& runs, const std::string& id, const json& status, const std::string& metrics = "") {
  write_text(runs / id / "config.json", "{}");
  write_text(runs / id / "status.json", status.dump(2));
  if (!metrics.empty()) write_text(runs / id / "metrics.csv", metrics);
}

}  // namespace

TEST_CASE("collect on a folder with missing, unreadable and extra files", "[collect]") {
  TempDir tmp;
  const fs::path runs = tmp.path() / "runs";
  const std::string metrics_header = "step,epoch,samples,lr,train_loss,train_acc,test_loss,test_acc,wall_s\n";
  // Two finished runs, written out of plan order; the later one sweeps a second key.
  write_run(runs, "bbbbbbbbbbbb",
            {{"status", "diverged"}, {"index", 3}, {"swept", {{"optimizer.lr", 10.0}, {"model.norm", "none"}}},
             {"steps", 7}, {"diverged_at_step", 7}, {"final_test_acc", nullptr}},
            metrics_header + "5,0.1,300,10,2.5,0.1,2.6,0.1,0.5\n");
  write_run(runs, "aaaaaaaaaaaa",
            {{"status", "ok"}, {"index", 0}, {"swept", {{"optimizer.lr", 0.1}}}, {"steps", 100},
             {"final_test_acc", 0.8125}, {"wall_s", 1.5}},
            metrics_header + "50,0.5,3000,0.1,0.9,0.7,0.95,0.69,0.7\n100,1,6000,0.1,0.5,0.8,0.6,0.8125,1.4\n");
  // A failed run without metrics.csv.
  write_run(runs, "cccccccccccc",
            {{"status", "failed"}, {"index", 1}, {"swept", {{"optimizer.lr", 1.0}}}, {"error", "boom, \"bad\"\nline 2"}});
  // Unfinished: killed before status.json.
  write_text(runs / "dddddddddddd" / "config.json", "{}");
  write_text(runs / "dddddddddddd" / ".metrics.csv.tmp.host-12", "step,ep");
  // A status.json that is not JSON, one that is not an object, one whose status is no string.
  write_text(runs / "eeeeeeeeeeee" / "status.json", "{\"status\": \"ok\", \"ind");
  write_text(runs / "ffffffffffff" / "status.json", "[1, 2]");
  write_text(runs / "gggggggggggg" / "status.json", R"({"status": 3, "index": "x"})");
  // Stray files and folders.
  write_text(runs / "notes.txt", "not a run");
  write_text(runs / ".status.json.tmp.host-1", "{");
  fs::create_directories(runs / "empty_folder");
  write_text(tmp.path() / "plot.png", "png");
  write_text(tmp.path() / ".runs.csv.tmp.host-7", "half");

  const CollectResult r = collect(tmp.path());
  CHECK(r.runs == 3);
  CHECK(r.ok == 1);
  CHECK(r.diverged == 1);
  CHECK(r.failed == 1);
  CHECK(r.skipped == 5);  // d, e, f, g and the empty folder
  CHECK(r.damaged == 3);  // e, f, g: a status.json that is there but malformed

  const CsvTable table = parse_csv(read_file(tmp.path() / "runs.csv"));
  REQUIRE(table.header.size() >= 4);
  CHECK(std::vector<std::string>(table.header.begin(), table.header.begin() + 4) ==
        std::vector<std::string>{"run_id", "status", "optimizer.lr", "model.norm"});
  CHECK(csv_column(tmp.path() / "runs.csv", "run_id") ==
        std::vector<std::string>{"aaaaaaaaaaaa", "cccccccccccc", "bbbbbbbbbbbb"});
  CHECK(csv_column(tmp.path() / "runs.csv", "model.norm") == std::vector<std::string>{"", "", "none"});
  CHECK(csv_column(tmp.path() / "runs.csv", "optimizer.lr") == std::vector<std::string>{"0.1", "1", "10"});
  CHECK(csv_column(tmp.path() / "runs.csv", "final_test_acc") == std::vector<std::string>{"0.8125", "", ""});
  CHECK(csv_column(tmp.path() / "runs.csv", "error") == std::vector<std::string>{"", "boom, \"bad\"\nline 2", ""});

  const fs::path metrics = tmp.path() / "metrics.csv";
  CHECK(csv_column(metrics, "run_id") == std::vector<std::string>{"aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"});
  CHECK(csv_column(metrics, "step") == std::vector<std::string>{"50", "100", "5"});
  CHECK(csv_column(metrics, "optimizer.lr") == std::vector<std::string>{"0.1", "0.1", "10"});
  CHECK(csv_column(metrics, "test_acc") == std::vector<std::string>{"0.69", "0.8125", "0.1"});
}

TEST_CASE("collect replaces runs.csv and metrics.csv whole and leaves no temporary", "[collect]") {
  TempDir tmp;
  write_text(tmp.path() / "runs.csv", "old,stale\n1,2\n");
  write_run(tmp.path() / "runs", "aaaaaaaaaaaa", {{"status", "ok"}, {"index", 0}, {"swept", json::object()}},
            "step,epoch\n10,1\n");
  collect(tmp.path());
  CHECK(csv_column(tmp.path() / "runs.csv", "run_id") == std::vector<std::string>{"aaaaaaaaaaaa"});
  for (const auto& entry : fs::directory_iterator(tmp.path())) CHECK_FALSE(is_temporary(entry.path()));
}

TEST_CASE("collect without a runs folder is an error that names it", "[collect]") {
  TempDir tmp;
  CHECK_THROWS_WITH(collect(tmp.path() / "nothing"), Catch::Contains("nothing/runs"));
}

TEST_CASE("collect imports no damaged file: it names it and skips the run", "[collect]") {
  TempDir tmp;
  const fs::path runs = tmp.path() / "runs";
  const std::string header = "step,epoch,samples,lr,train_loss,train_acc,test_loss,test_acc,wall_s\n";
  const std::string row1 = "10,0.5,200,0.1,0.9,0.7,0.95,0.69,0.7\n", row2 = "20,1,400,0.1,0.5,0.8,0.6,0.8,1.4\n";
  const json files = {{"metrics.csv", {{"bytes", (header + row1 + row2).size()}, {"rows", 2}}}};
  auto ok_status = [&](int index) {
    return json{{"status", "ok"}, {"index", index}, {"swept", json::object()}, {"files", files}};
  };
  write_run(runs, "aaaaaaaaaaaa", ok_status(0), header + row1 + row2);  // whole
  std::string damaged_file;
  SECTION("a truncated row") {
    write_run(runs, "bbbbbbbbbbbb", ok_status(1), header + row1 + "20,1,400\n");
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: line 3 has 3 cells, the header 9";
  }
  SECTION("a last line cut off") {
    write_run(runs, "bbbbbbbbbbbb", ok_status(1), header + row1 + "20,1,400,0.1,0.5");
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: the last line has no end";
  }
  SECTION("an unterminated quote") {
    write_run(runs, "bbbbbbbbbbbb", ok_status(1), header + row1 + "20,1,400,0.1,\"0.5,0.8,0.6,0.8,1.4\n");
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: unterminated quote from line 3";
  }
  SECTION("fewer rows than the run wrote") {
    json status = ok_status(1);
    status["files"]["metrics.csv"]["bytes"] = (header + row1).size();
    write_run(runs, "bbbbbbbbbbbb", status, header + row1);
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: 1 rows, the run wrote 2";
  }
  SECTION("fewer bytes than the run wrote") {
    write_run(runs, "bbbbbbbbbbbb", ok_status(1), header + row1);
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: " + std::to_string((header + row1).size()) + " bytes";
  }
  SECTION("an ok run without metrics.csv") {
    write_run(runs, "bbbbbbbbbbbb", {{"status", "ok"}, {"index", 1}});
    damaged_file = "runs/bbbbbbbbbbbb/metrics.csv: missing";
  }
  SECTION("a malformed status.json") {
    write_text(runs / "bbbbbbbbbbbb" / "status.json", "{\"status\": \"ok\", \"ind");
    write_text(runs / "bbbbbbbbbbbb" / "metrics.csv", header + row1 + row2);
    damaged_file = "runs/bbbbbbbbbbbb/status.json: malformed";
  }
  const RunCheck check = check_run(runs / "bbbbbbbbbbbb");
  CHECK(check.state == RunState::damaged);
  REQUIRE(check.problems.size() == 1);
  CHECK_THAT(check.problems[0], Catch::StartsWith(damaged_file));
  CHECK(check_run(runs / "aaaaaaaaaaaa").state == RunState::finished);

  const CollectResult r = collect(tmp.path());
  CHECK(r.runs == 1);
  CHECK(r.damaged == 1);
  CHECK(csv_column(tmp.path() / "runs.csv", "run_id") == std::vector<std::string>{"aaaaaaaaaaaa"});
  CHECK(csv_column(tmp.path() / "metrics.csv", "run_id") == std::vector<std::string>{"aaaaaaaaaaaa", "aaaaaaaaaaaa"});
}
