// "extends": merge rules, chains, cycles and bad parents (each error names the files), and the
// study configs that extend batch_size.json.
#include <catch2/catch.hpp>

#include <sstream>

#include <filesystem>
#include <fstream>

#include "core/errors.hpp"
#include "experiment/extends.hpp"
#include "experiment/sweep.hpp"
#include "temp_dir.hpp"

using namespace bnlab;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

void write(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::vector<std::string> load_problems(const std::filesystem::path& file) {
  try {
    load_experiment(file.string());
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

}  // namespace

TEST_CASE("extends: objects merge key by key, the child wins, lists are replaced", "[extends]") {
  const auto parent = ordered_json::parse(R"({"name": "p", "model": {"norm": "batch", "hidden": [100, 100]},
      "train": {"steps": 50, "target_accuracy": 0.8}, "probes": {"ics": {"every": 5}, "landscape": {}},
      "sweep": {"model.norm": ["none", "batch"], "train.seed": [1, 2]}})");
  const auto child = ordered_json::parse(R"({"name": "c", "model": {"hidden": [10]},
      "train": {"target_accuracy": null}, "probes": {"landscape": null, "ics": {"every": 7}},
      "sweep": {"model.norm": null, "train.seed": [3]}})");
  const ordered_json merged = merge_config(parent, child);
  CHECK(merged["name"] == "c");
  CHECK(merged["model"] == ordered_json::parse(R"({"norm": "batch", "hidden": [10]})"));
  CHECK(merged["train"]["steps"] == 50);
  CHECK(merged["train"].contains("target_accuracy"));  // a null value replaces: "not measured"
  CHECK(merged["train"]["target_accuracy"].is_null());
  CHECK(merged["probes"] == ordered_json::parse(R"({"ics": {"every": 7}})"));  // a null probe is removed
  CHECK(merged["sweep"] == ordered_json::parse(R"({"train.seed": [3]})"));     // and a null axis
}

TEST_CASE("extends: a path relative to the file, followed through a chain", "[extends]") {
  test::TempDir dir;
  write(dir / "base/grand.json", R"({"name": "g", "train": {"steps": 20, "batch_size": 8}, "model": {"hidden": [4]},
      "data": {"dataset": "synthetic", "train_size": 64, "test_size": 32}})");
  write(dir / "base/parent.json", R"({"extends": "grand.json", "name": "p", "train": {"batch_size": 16}})");
  write(dir / "sub/child.json", R"({"extends": "../base/parent.json", "name": "c", "sweep": {"train.seed": [1, 2]}})");
  const Experiment e = load_experiment((dir / "sub/child.json").string());
  CHECK(e.name == "c");
  CHECK(e.base["train"]["steps"] == 20);
  CHECK(e.base["train"]["batch_size"] == 16);
  CHECK_FALSE(e.file.contains("extends"));
  CHECK(expand(e).size() == 2);
}

TEST_CASE("extends: a cycle is an error naming the files", "[extends]") {
  test::TempDir dir;
  write(dir / "a.json", R"({"extends": "b.json", "name": "a"})");
  write(dir / "b.json", R"({"extends": "a.json", "name": "b"})");
  const auto problems = load_problems(dir / "a.json");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "extends: a cycle: " + (dir / "a.json").string() + " -> " + (dir / "b.json").string() +
                           " -> " + (dir / "a.json").string());
  write(dir / "self.json", R"({"extends": "./self.json", "name": "s"})");
  CHECK(load_problems(dir / "self.json").at(0).find("a cycle") != std::string::npos);
}

TEST_CASE("extends: a chain longer than kMaxExtendsDepth files is refused", "[extends]") {
  test::TempDir dir;
  // (names and texts built with streams: GCC 12 warns falsely, -Wstringop-overflow, on
  // "literal" + std::string chains here)
  auto file = [&](std::size_t i) {
    std::ostringstream name;
    name << "c" << i << ".json";
    return dir / name.str();
  };
  write(file(0), R"({"name": "c0", "train": {"steps": 5}})");
  for (std::size_t i = 1; i <= kMaxExtendsDepth; ++i) {
    std::ostringstream text;
    text << R"({"extends": "c)" << i - 1 << R"(.json", "name": "c)" << i << R"("})";
    write(file(i), text.str());
  }
  const auto last = file(kMaxExtendsDepth);
  const auto problems = load_problems(last);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("extends: more than 16 files in the chain " + last.string() + " -> ", 0) == 0);
  CHECK(load_problems(file(kMaxExtendsDepth - 1)).empty());  // 16 files: fine
}

TEST_CASE("extends: a bad value or a missing parent is an error naming the file", "[extends]") {
  test::TempDir dir;
  write(dir / "n.json", R"({"extends": 3, "name": "n"})");
  CHECK(load_problems(dir / "n.json") ==
        std::vector<std::string>{"extends: expected the path of a config file (relative to this one), got number 3 (in " +
                                 (dir / "n.json").string() + ")"});
  write(dir / "m.json", R"({"extends": "nowhere.json", "name": "m"})");
  CHECK(load_problems(dir / "m.json") ==
        std::vector<std::string>{"extends: no such config file " + (dir / "nowhere.json").string() +
                                 " (\"nowhere.json\" in " + (dir / "m.json").string() + ")"});
  write(dir / "broken.json", "{\"name\": ");
  write(dir / "s.json", R"({"extends": "broken.json", "name": "s"})");
  try {
    load_experiment((dir / "s.json").string());
    FAIL("a syntax error in the parent was not reported");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find((dir / "broken.json").string() + ":1:") == 0);
  }
  write(dir / "list.json", "[1]");
  write(dir / "l.json", R"({"extends": "list.json", "name": "l"})");
  CHECK(load_problems(dir / "l.json").at(0) ==
        "extends: " + (dir / "list.json").string() + " is not a JSON object (in " + (dir / "l.json").string() + ")");
}

TEST_CASE("extends: --set applies after the merge", "[extends]") {
  test::TempDir dir;
  write(dir / "p.json", R"({"name": "p", "train": {"steps": 20}, "data": {"dataset": "synthetic"},
      "sweep": {"train.seed": [1, 2, 3]}})");
  write(dir / "c.json", R"({"extends": "p.json", "name": "c"})");
  const Experiment e = load_experiment((dir / "c.json").string(), {"train.seed=7"});
  CHECK(e.sweep.empty());
  CHECK(e.file["train"]["seed"] == 7);
}

TEST_CASE("the batch_size variants extend batch_size.json", "[extends]") {
  const std::filesystem::path studies = std::filesystem::path(BNLAB_SOURCE_DIR) / "configs/studies";
  for (const char* name : {"batch_size_noniid.json", "batch_size_deep.json", "batch_size_ghost.json"}) {
    INFO(name);
    std::ifstream in(studies / name);
    CHECK(json::parse(in).value("extends", "") == "batch_size.json");
    const Experiment e = load_experiment((studies / name).string());
    // its own claims replace the parent's (which compare lr policies the variants do not sweep)
    REQUIRE_FALSE(e.claims.empty());
    for (const auto& claim : e.claims) {
      CHECK(claim.id != "bn_degrades_at_batch_2");
      CHECK(claim.id != "gn_beats_bn_at_batch_2");
    }
    CHECK(std::none_of(e.sweep.begin(), e.sweep.end(), [](const SweepAxis& a) { return a.key == "optimizer"; }));
  }
  const Experiment noniid = load_experiment((studies / "batch_size_noniid.json").string());
  CHECK(noniid.base["data"]["batching"] == "by_class");
  CHECK(run_count(noniid) == 5 * 7 * 5);  // norms x batch sizes x seeds
}
