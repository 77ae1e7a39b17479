// Sweeps: key and value validation, the run limit, plan order, rules per combination, run ids.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config_test_util.hpp"
#include "experiment/sweep.hpp"
#include "probes/registry.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using nlohmann::json;

TEST_CASE("sweep key that is not a config key: closest valid dotted key", "[sweep]") {
  CHECK(problems_of(config_with(R"("sweep": {"optimizer.learning_rate": [0.1, 1]})")) ==
        std::vector<std::string>{"sweep.optimizer.learning_rate: unknown key; did you mean 'optimizer.lr'?"});
  CHECK(problems_of(config_with(R"("sweep": {"model.nrom": ["none"]})")) ==
        std::vector<std::string>{"sweep.model.nrom: unknown key; did you mean 'model.norm'?"});
  CHECK(problems_of(config_with(R"("sweep": {"name": ["a", "b"]})")) ==
        std::vector<std::string>{
            "sweep.name: cannot be swept (name names the experiment; description is not part of a run)"});
}

TEST_CASE("a whole section can be swept: each value replaces the section", "[sweep]") {
  const auto runs = expand(parse_experiment(
      config_with(R"("init": {"scheme": "normal", "std": 0.5},
                     "sweep": {"init": [{"scheme": "normal", "std": 0.01}, {"scheme": "xavier"}]})"),
      "t", {}));
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].config.init.scheme == "normal");
  CHECK(runs[0].config.init.std == 0.01);
  CHECK(runs[1].config.init.scheme == "xavier");
  CHECK_FALSE(runs[1].config.init.std.has_value());  // not inherited from the base section
  CHECK(runs[1].swept[0].first == "init");

  const auto problems = problems_of(config_with(
      R"("sweep": {"init": [{"scheme": "xavier"}, {"scheme": "normal", "std": -1}, 3, {"scheme": "nromal"}, {"scheme": "normal"}]})"));
  INFO(nlohmann::json(problems).dump(1));
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].rfind("sweep.init[1].std: ", 0) == 0);
  CHECK(problems[1] == "sweep.init[2]: expected an object (the whole init section), got number 3");
  CHECK(problems[2].rfind("sweep.init[3].scheme: ", 0) == 0);
  CHECK(problems[2].find("did you mean 'normal'?") != std::string::npos);
  CHECK(problems[3].find("(in the runs with init={\"scheme\":\"normal\"})") != std::string::npos);
}

TEST_CASE("sweep axis: a non-empty list of distinct values", "[sweep]") {
  CHECK(problems_of(config_with(R"("sweep": {"model.norm": []})")) ==
        std::vector<std::string>{"sweep.model.norm: empty list; a sweep axis needs at least one value"});
  CHECK(problems_of(config_with(R"("sweep": {"model.norm": "batch"})")) ==
        std::vector<std::string>{"sweep.model.norm: expected a list of values, got string \"batch\""});
  CHECK(problems_of(config_with(R"("sweep": {"train.seed": [1, 2, 1.0]})")) ==
        std::vector<std::string>{"sweep.train.seed[2]: same value as sweep.train.seed[0] (the run would repeat)"});
  CHECK(problems_of(config_with(R"("sweep": [1])")) ==
        std::vector<std::string>{"sweep: expected an object (dotted key -> list of values), got array [1]"});
}

TEST_CASE("sweep values are validated one by one at sweep.KEY.i", "[sweep]") {
  CHECK(problems_of(config_with(R"("sweep": {"optimizer.lr": [0.1, 1, -1]})")) ==
        std::vector<std::string>{"sweep.optimizer.lr[2]: must be > 0"});
  CHECK(problems_of(config_with(R"("sweep": {"model.activation": ["relu", "tahn"]})")) ==
        std::vector<std::string>{
            "sweep.model.activation[1]: 'tahn' is not one of relu, sigmoid, tanh; did you mean 'tanh'?"});
  CHECK(problems_of(config_with(R"("sweep": {"model.hidden": [[10], [10, 0]]})")) ==
        std::vector<std::string>{"sweep.model.hidden[1][1]: must be >= 1"});
}

TEST_CASE("a sweep over the run limit is a config error", "[sweep]") {
  json seeds = json::array(), sizes = json::array(), ghosts = json::array();
  for (int i = 0; i < 120; ++i) seeds.push_back(i);
  for (int i = 1; i <= 100; ++i) sizes.push_back(i), ghosts.push_back(i);
  const json config = {{"name", "big"},
                       {"sweep", {{"train.seed", seeds}, {"norm.group_size", sizes}, {"norm.ghost_batch_size", ghosts}}}};
  CHECK(problems_of(config.dump()) == std::vector<std::string>{"sweep: 1200000 runs (100 x 100 x 120 values); the limit is 100000"});
}

TEST_CASE("plan order: first sweep key outermost, last fastest", "[sweep]") {
  // Written lr first: lr varies slowest although "model.activation" sorts first.
  const Experiment e = parse_experiment(
      config_with(R"("sweep": {"optimizer.lr": [0.01, 0.1], "model.activation": ["relu", "sigmoid", "tanh"]})"),
      "t", {});
  const auto runs = expand(e);
  REQUIRE(runs.size() == 6);
  const std::vector<std::pair<double, std::string>> expected{
      {0.01, "relu"}, {0.01, "sigmoid"}, {0.01, "tanh"}, {0.1, "relu"}, {0.1, "sigmoid"}, {0.1, "tanh"}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    INFO(i);
    CHECK(runs[i].index == i);
    CHECK(runs[i].config.optimizer.lr == expected[i].first);
    CHECK(runs[i].config.model.activation == expected[i].second);
    REQUIRE(runs[i].swept.size() == 2);
    CHECK(runs[i].swept[0] == std::pair<std::string, json>{"optimizer.lr", expected[i].first});
    CHECK(runs[i].swept[1] == std::pair<std::string, json>{"model.activation", expected[i].second});
    CHECK(runs[i].resolved == to_json(runs[i].config));
    CHECK(runs[i].run_id == run_id(runs[i].resolved));
    for (std::size_t j = 0; j < i; ++j) CHECK(runs[j].run_id != runs[i].run_id);
  }
}

TEST_CASE("no sweep: one run with the base config", "[sweep]") {
  const auto runs = expand(parse_experiment(config_with(R"("optimizer": {"lr": 0.5})"), "t", {}));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].swept.empty());
  CHECK(runs[0].config.optimizer.lr == 0.5);
  CHECK(runs[0].config.name == "t");
}

TEST_CASE("rules between keys are checked on each combination of the axes they read", "[sweep]") {
  CHECK(problems_of(config_with(R"("sweep": {"init.scheme": ["he", "normal"]})")) ==
        std::vector<std::string>{
            "init.std: required when init.scheme is 'normal' (in the runs with init.scheme=\"normal\")"});
  // The base alone breaks the rule, every run satisfies it.
  CHECK(problems_of(config_with(R"("init": {"scheme": "normal"}, "sweep": {"init.std": [0.1, 0.01]})")).empty());
}

TEST_CASE("a swept train.steps replaces the file's epochs", "[sweep]") {
  const auto runs = expand(parse_experiment(
      config_with(R"("train": {"epochs": 2}, "sweep": {"train.steps": [100, 200]})"), "t", {}));
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].config.train.steps == 200);
  CHECK_FALSE(runs[1].config.train.epochs);
  CHECK(runs[1].swept[0].second == json(200));
  // Both swept: every run has both.
  CHECK(problems_of(config_with(R"("sweep": {"train.steps": [100], "train.epochs": [1]})")) ==
        std::vector<std::string>{"train: steps and epochs are both set; set exactly one (the other null or left "
                                 "out) (in the runs with train.steps=100, train.epochs=1.0)"});
}

TEST_CASE("probes: kept as given, sweepable below probes", "[sweep]") {
  const auto runs = expand(parse_experiment(
      config_with(R"("probes": {"activation_percentiles": {"every": 10}}, "sweep": {"probes.activation_percentiles.every": [10, 20]})"),
      "t", {}));
  REQUIRE(runs.size() == 2);
  CHECK(runs[1].config.probes == json{{"activation_percentiles", {{"every", 20}}}});
  std::string valid;  // every registered probe, in registry order (branches append probes)
  for (const auto& name : probe_names()) valid += (valid.empty() ? "" : ", ") + name;
  CHECK(problems_of(config_with(R"("probes": {"a": 1}, "sweep": {"probes.a.b": [1]})")) ==
        (std::vector<std::string>{"sweep.probes.a.b: cannot be set: 'probes.a' is not an object",
                                  "probes.a: unknown probe (valid: " + valid + ")"}));
  CHECK(problems_of(config_with(R"("sweep": {"probes": [{"a": {}}], "probes.a.b": [1, 2]})")) ==
        (std::vector<std::string>{"sweep.probes.a.b: overlaps sweep.probes; sweep one or the other",
                                  "probes.a: unknown probe (valid: " + valid + ") (in the runs with probes={\"a\":{}})"}));
}

TEST_CASE("run_id: 12 hex digits, stable, blind to key order and description", "[sweep]") {
  const std::string a = R"({"name": "t", "description": "one", "model": {"norm": "none", "hidden": [10]},
                            "optimizer": {"lr": 0.1}})";
  const std::string b = R"({"optimizer": {"lr": 0.1}, "model": {"hidden": [10], "norm": "none"},
                            "description": "another text", "name": "t"})";
  const std::string id = expand(parse_experiment(a, "a", {}))[0].run_id;
  CHECK(id.size() == 12);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(expand(parse_experiment(b, "b", {}))[0].run_id == id);
  // A value written differently but resolving the same (1e-1, default spelled out): same run.
  CHECK(expand(parse_experiment(config_with(R"("model": {"norm": "none", "hidden": [10]},
                                              "optimizer": {"lr": 1e-1, "momentum": 0.9})"),
                                "c", {}))[0].run_id == id);
  // Any value change: another id.
  CHECK(expand(parse_experiment(config_with(R"("model": {"norm": "none", "hidden": [10]},
                                              "optimizer": {"lr": 0.1000001})"),
                                "d", {}))[0].run_id != id);
  CHECK(expand(parse_experiment(config_with(R"("model": {"norm": "none", "hidden": [10]},
                                              "optimizer": {"lr": 0.1}, "train": {"seed": 2})"),
                                "e", {}))[0].run_id != id);
  // Golden value: the hash must not change between versions, or finished runs are orphaned.
  // FNV-1a 64 of {"a":1} is 0x9c3e82dd6fcae8b1 (computed independently); xor-folded to 48 bits.
  CHECK(run_id(json{{"a", 1}, {"description", "ignored"}}) == "82dd6fca748f");
}

TEST_CASE("run_id: data.val_size 0 keeps the id a run had before the key existed", "[sweep][validation]") {
  const auto run = expand(parse_experiment(config_with(R"("data": {"dataset": "synthetic"})"), "a", {}))[0];
  REQUIRE(run.resolved.at("data").at("val_size") == 0);
  json before = run.resolved;
  before["data"].erase("val_size");
  CHECK(run.run_id == run_id(before));
  const auto held_out =
      expand(parse_experiment(config_with(R"("data": {"dataset": "synthetic", "val_size": 100})"), "b", {}))[0];
  CHECK(held_out.run_id != run.run_id);
}

TEST_CASE("run_id: precise BN keys at 0 keep the id a run had before they existed", "[sweep][precise_bn]") {
  const auto run = expand(parse_experiment(config_with(R"("data": {"dataset": "synthetic"})"), "a", {}))[0];
  REQUIRE(run.resolved.at("train").at("precise_bn_samples") == 0);
  json before = run.resolved;
  before["train"].erase("precise_bn_samples");
  before["train"].erase("precise_bn_batch");
  CHECK(run.run_id == run_id(before));
  const auto precise = expand(
      parse_experiment(config_with(R"("data": {"dataset": "synthetic"}, "train": {"precise_bn_samples": 1000})"), "b", {}))[0];
  CHECK(precise.run_id != run.run_id);
}

TEST_CASE("plot.figure: how the results are drawn, not part of the run id; an unknown figure is refused",
          "[sweep][plot]") {
  const auto plain = expand(parse_experiment(config_with(R"("data": {"dataset": "synthetic"})"), "a", {}))[0];
  REQUIRE(plain.resolved.at("plot").at("figure").is_null());
  const auto drawn = expand(parse_experiment(
      config_with(R"("data": {"dataset": "synthetic"}, "plot": {"figure": "batch_size"})"), "b", {}))[0];
  CHECK(drawn.resolved.at("plot").at("figure") == "batch_size");
  CHECK(drawn.run_id == plain.run_id);  // runs made before plot.figure existed keep their ids
  json before = plain.resolved;
  before.erase("plot");
  CHECK(plain.run_id == run_id(before));
  CHECK(problems_of(config_with(R"("plot": {"figure": "batchsize"})")) ==
        std::vector<std::string>{"plot.figure: 'batchsize' is not one of convergence, learning_rate, initialization, "
                                 "regularization, batch_size, interpretability, ics, landscape, noisy_bn, overhead; "
                                 "did you mean 'batch_size'?"});
}

TEST_CASE("load_experiment reads a file, a missing file is a config error", "[sweep]") {
  const auto path = std::filesystem::temp_directory_path() / "bnlab_test_load_experiment.json";
  {
    std::ofstream out(path);
    out << config_with(R"("sweep": {"train.seed": [1, 2, 3]})");
  }
  CHECK(expand(load_experiment(path.string(), {"sweep.train.seed=[7]"})).size() == 1);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(load_experiment(path.string(), {}), path.string() + ": cannot open the config file");
}
