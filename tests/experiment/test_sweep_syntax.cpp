// Sweep syntax beyond lists: logspace, linspace and range generators, a zip group and exclusions,
// with their error messages (each names the JSON path).
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "experiment/sweep.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using nlohmann::json;

namespace {

std::vector<json> values_of(const std::string& sweep, const std::string& key) {
  const Experiment e = parse_experiment(config_with(R"("train": {"steps": 10}, "sweep": )" + sweep), "t", {});
  for (const auto& axis : e.sweep)
    if (axis.key == key) return axis.values;
  return {};
}

std::vector<std::string> sweep_problems(const std::string& sweep) {
  return problems_of(config_with(R"("train": {"steps": 10}, "sweep": )" + sweep));
}

}  // namespace

TEST_CASE("logspace: equal ratios between two values, both ends included, rounded to 12 digits", "[sweep_syntax]") {
  const auto lr = values_of(R"({"optimizer.lr": {"logspace": [0.001, 10, 9]}})", "optimizer.lr");
  REQUIRE(lr.size() == 9);
  CHECK(lr[0] == 0.001);
  CHECK(lr[1] == 0.00316227766017);
  CHECK(lr[2] == 0.01);
  CHECK(lr[4] == 0.1);
  CHECK(lr[8] == 10);
  CHECK(values_of(R"({"train.batch_size": {"logspace": [2, 128, 7]}})", "train.batch_size") ==
        std::vector<json>{2, 4, 8, 16, 32, 64, 128});  // whole numbers are integers
  CHECK(values_of(R"({"optimizer.lr": {"logspace": [0.5, 0.5, 1]}})", "optimizer.lr") == std::vector<json>{0.5});
}

TEST_CASE("linspace: equal steps, both ends included; range: the stop excluded", "[sweep_syntax]") {
  CHECK(values_of(R"({"model.dropout": {"linspace": [0, 0.5, 6]}})", "model.dropout") ==
        std::vector<json>{0, 0.1, 0.2, 0.3, 0.4, 0.5});
  CHECK(values_of(R"({"train.seed": {"range": [1, 6]}})", "train.seed") == std::vector<json>{1, 2, 3, 4, 5});
  CHECK(values_of(R"({"train.seed": {"range": [10, 0, -5]}})", "train.seed") == std::vector<json>{10, 5});
  CHECK(values_of(R"({"train.seed": {"range": [0, 7, 3]}})", "train.seed") == std::vector<json>{0, 3, 6});
}

TEST_CASE("generator errors name the path", "[sweep_syntax]") {
  CHECK(sweep_problems(R"({"optimizer.lr": {"logspace": [0, 1, 3]}})") ==
        std::vector<std::string>{"sweep.optimizer.lr.logspace: start and stop must be > 0 (they are values, not exponents: [0.001, 10, 5])"});
  CHECK(sweep_problems(R"({"optimizer.lr": {"linspace": [0.1, 1]}})") ==
        std::vector<std::string>{"sweep.optimizer.lr.linspace: expected [start, stop, count] (numbers, count an integer), got array [0.1,1]"});
  CHECK(sweep_problems(R"({"optimizer.lr": {"linspace": [0.1, 1, 0]}})") ==
        std::vector<std::string>{"sweep.optimizer.lr.linspace: count 0 out of range [1, 100000]"});
  CHECK(sweep_problems(R"({"train.seed": {"range": [1, 2.5]}})") ==
        std::vector<std::string>{"sweep.train.seed.range: expected [start, stop] or [start, stop, step] of integers (stop excluded), got array [1,2.5]"});
  CHECK(sweep_problems(R"({"train.seed": {"range": [5, 1]}})") ==
        std::vector<std::string>{"sweep.train.seed.range: no values (the stop 1 is excluded)"});
  CHECK(sweep_problems(R"({"train.seed": {"range": [1, 5, 0]}})") ==
        std::vector<std::string>{"sweep.train.seed.range: step 0 would never reach the stop"});
  CHECK(sweep_problems(R"({"train.seed": {"range": [0, 1000000000]}})") ==
        std::vector<std::string>{"sweep.train.seed.range: 1000000000 values; the limit is 100000"});
  CHECK(sweep_problems(R"({"train.seed": {"steps": [1, 2]}})").at(0).rfind(
            "sweep.train.seed: expected a list of values, got object", 0) == 0);
  // generated values are checked like written ones, at their position in the generated list
  CHECK(sweep_problems(R"({"train.batch_size": {"linspace": [1, 2, 3]}})") ==
        std::vector<std::string>{"sweep.train.batch_size[1]: expected an integer, got number 1.5"});
}

TEST_CASE("zip: keys that vary together form one axis of the product", "[sweep_syntax]") {
  const Experiment e = parse_experiment(config_with(R"("train": {"steps": 10},
      "sweep": {"model.norm": ["none", "batch"],
                "zip": {"train.batch_size": [16, 32, 64], "optimizer.lr": [0.1, 0.1, 0.2]}})"), "t", {});
  const auto runs = expand(e);
  REQUIRE(runs.size() == 6);
  CHECK(run_count(e) == 6);
  CHECK(runs[0].config.train.batch_size == 16);
  CHECK(runs[0].config.optimizer.lr == 0.1);
  CHECK(runs[2].config.train.batch_size == 64);
  CHECK(runs[2].config.optimizer.lr == 0.2);
  CHECK(runs[3].config.model.norm == "batch");
  CHECK(runs[3].swept.size() == 3);  // one column per key, the zip group's keys included
}

TEST_CASE("zip errors: lengths, repeated tuples, a bad value drops the whole group", "[sweep_syntax]") {
  CHECK(sweep_problems(R"({"zip": {"train.batch_size": [16, 32], "optimizer.lr": [0.1]}})") ==
        std::vector<std::string>{"sweep.zip: lists of different lengths (train.batch_size: 2, optimizer.lr: 1); the i-th run takes the i-th value of each"});
  CHECK(sweep_problems(R"({"zip": {"train.batch_size": [16, 16], "optimizer.lr": [0.1, 0.1]}})") ==
        std::vector<std::string>{"sweep.zip: values 1 and 0 are the same on every key (the run would repeat)"});
  CHECK(sweep_problems(R"({"zip": {"train.batch_size": [16, 0], "optimizer.lr": [0.1, 0.2]}})").at(0).rfind(
            "sweep.zip.train.batch_size[1]: ", 0) == 0);
  CHECK(sweep_problems(R"({"zip": [1]})").at(0).rfind("sweep.zip: expected an object of keys", 0) == 0);
  CHECK(sweep_problems(R"({"zip": {"optimizer.lr": [0.1, 0.2]}, "optimizer.lr": [1]})") ==
        std::vector<std::string>{"sweep.optimizer.lr: overlaps sweep.optimizer.lr; sweep one or the other"});
}

TEST_CASE("sweep.exclude leaves combinations out, renumbers the rest and keeps their run ids", "[sweep_syntax]") {
  const std::string base = R"("train": {"steps": 10}, "sweep": {"model.norm": ["none", "batch"], "train.seed": [1, 2, 3])";
  const auto all = expand(parse_experiment(config_with(base + "}"), "t", {}));
  const Experiment e = parse_experiment(
      config_with(base + R"(, "exclude": [{"model.norm": "none", "train.seed": 2}, {"train.seed": 3}]})"), "t", {});
  const auto runs = expand(e);
  REQUIRE(runs.size() == 3);
  CHECK(run_count(e) == 3);
  CHECK(runs[0].run_id == all[0].run_id);  // none, 1
  CHECK(runs[1].run_id == all[3].run_id);  // batch, 1
  CHECK(runs[2].run_id == all[4].run_id);  // batch, 2
  CHECK(runs[2].index == 2);
}

TEST_CASE("exclude errors name the entry and key", "[sweep_syntax]") {
  const std::string base = R"({"model.norm": ["none", "batch"], "train.seed": [1, 2], "exclude": )";
  CHECK(sweep_problems(base + R"([{"model.norm": "btach"}]})") ==
        std::vector<std::string>{"sweep.exclude[0].model.norm: string \"btach\" is not one of the swept values (\"none\", \"batch\")"});
  CHECK(sweep_problems(base + R"([{"optimizer.lr": 0.1}]})") ==
        std::vector<std::string>{"sweep.exclude[0].optimizer.lr: not a swept key (exclude names combinations of swept values)"});
  CHECK(sweep_problems(base + R"([{}]})").at(0).rfind("sweep.exclude[0]: expected an object", 0) == 0);
  CHECK(sweep_problems(base + R"({"model.norm": "none"}})").at(0).rfind("sweep.exclude: expected a list", 0) == 0);
  CHECK(sweep_problems(base + R"([{"model.norm": "none"}, {"model.norm": "batch"}]})") ==
        std::vector<std::string>{"sweep.exclude: leaves no run of the 4 combinations"});
}

TEST_CASE("a rule is not checked on an excluded combination", "[sweep_syntax]") {
  // group norm in groups of 4 cannot normalize a width of 10 (a rule); excluded, that run is fine.
  const std::string sweep = R"("norm": {"group_size": 4}, "sweep": {"model.norm": ["batch", "group"], "model.hidden": [[12], [10]])";
  CHECK_FALSE(problems_of(config_with(R"("train": {"steps": 10}, )" + sweep + "}")).empty());
  CHECK(problems_of(config_with(R"("train": {"steps": 10}, )" + sweep +
                                R"(, "exclude": [{"model.norm": "group", "model.hidden": [10]}]})")).empty());
}

TEST_CASE("sweep syntax: --set on a key of a zip group or an exclusion", "[sweep_syntax]") {
  const std::string text = config_with(R"("train": {"steps": 10}, "sweep": {"model.norm": ["none", "batch"],
      "zip": {"train.batch_size": [16, 32], "optimizer.lr": [0.1, 0.2]},
      "exclude": [{"model.norm": "none", "train.batch_size": 16}]})");
  CHECK(run_count(parse_experiment(text, "t", {})) == 3);
  CHECK(run_count(parse_experiment(text, "t", {"model.norm=none"})) == 1);   // entry keeps batch 16
  CHECK(run_count(parse_experiment(text, "t", {"model.norm=batch"})) == 2);  // entry can no longer match
  const Experiment fixed = parse_experiment(text, "t", {"optimizer.lr=0.5"});
  REQUIRE(fixed.sweep.size() == 2);  // lr leaves the group; batch size still swept
  CHECK(run_count(fixed) == 3);
}
