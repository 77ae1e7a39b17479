// --set KEY=VALUE: JSON values with a string fallback, sweep axes, the swept-key rule, bad --set.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "experiment/sweep.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using nlohmann::json;

namespace {

RunConfig only_run(const std::string& text, const std::vector<std::string>& sets) {
  const auto runs = expand(parse_experiment(text, "t", sets));
  REQUIRE(runs.size() == 1);
  return runs[0].config;
}

}  // namespace

TEST_CASE("set override: a value is JSON when it parses, else a string", "[overrides]") {
  const std::string text = config_with(R"("train": {"epochs": 2})");
  CHECK(only_run(text, {"optimizer.lr=0.5"}).optimizer.lr == 0.5);
  CHECK(only_run(text, {"model.norm=none"}).model.norm == "none");
  CHECK(only_run(text, {"model.norm=\"none\""}).model.norm == "none");
  CHECK(only_run(text, {"model.hidden=[50,50]"}).model.hidden == std::vector<std::int64_t>{50, 50});
  CHECK(only_run(text, {"data.dir=/tmp/my data"}).data.dir == "/tmp/my data");
  CHECK_FALSE(only_run(text, {"train.target_accuracy=null"}).train.target_accuracy);
  // A string key takes a number's text; "=" may appear in the value.
  CHECK(only_run(text, {"name=2024"}).name == "2024");
  CHECK(only_run(text, {"description=a=b"}).description == "a=b");
  CHECK(only_run(text, {"probes={\"activation_percentiles\":{}}"}).probes == json{{"activation_percentiles", json::object()}});
  // Later wins.
  CHECK(only_run(text, {"optimizer.lr=0.5", "optimizer.lr=0.25"}).optimizer.lr == 0.25);
  // A whole section.
  CHECK(only_run(text, {"model={\"arch\":\"cnn\"}"}).model.arch == "cnn");
}

TEST_CASE("set override train.steps overrides the file's epochs (and the other way round)", "[overrides]") {
  const RunConfig steps = only_run(config_with(R"("train": {"epochs": 2})"), {"train.steps=200"});
  CHECK(steps.train.steps == 200);
  CHECK_FALSE(steps.train.epochs);
  const RunConfig epochs = only_run(config_with(R"("train": {"steps": 100})"), {"train.epochs=3"});
  CHECK(epochs.train.epochs == 3.0);
  CHECK_FALSE(epochs.train.steps);
  // Both on the command line: both set, which is an error.
  CHECK(problems_of(config_with(""), {"train.steps=5", "train.epochs=1"}) ==
        std::vector<std::string>{
            "train: steps and epochs are both set; set exactly one (the other null or left out)"});
}

TEST_CASE("set override of a swept key removes its axis: the run uses the --set value", "[overrides]") {
  const std::string text = config_with(R"("sweep": {"model.norm": ["none", "batch"], "train.seed": [1, 2]})");
  const Experiment e = parse_experiment(text, "t", {"model.norm=batch"});
  REQUIRE(e.sweep.size() == 1);
  CHECK(e.sweep[0].key == "train.seed");
  const auto runs = expand(e);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].config.model.norm == "batch");
  CHECK(runs[1].config.model.norm == "batch");
  // A whole section fixes the axes inside it.
  CHECK(parse_experiment(text, "t", {"model={}"}).sweep.size() == 1);
  // train.steps also drops an epochs axis.
  const Experiment steps = parse_experiment(config_with(R"("sweep": {"train.epochs": [1, 2]})"), "t", {"train.steps=50"});
  CHECK(steps.sweep.empty());
}

TEST_CASE("set override sweep.<key>: sets or adds a sweep axis", "[overrides]") {
  const std::string text = config_with(R"("sweep": {"model.norm": ["none", "batch"]})");
  const Experiment added = parse_experiment(text, "t", {"sweep.train.seed=[1,2,3]"});
  REQUIRE(added.sweep.size() == 2);
  CHECK(added.sweep[1].key == "train.seed");
  CHECK(run_count(added) == 6);
  const Experiment replaced = parse_experiment(text, "t", {"sweep.model.norm=[\"batch\"]"});
  REQUIRE(replaced.sweep.size() == 1);
  CHECK(replaced.sweep[0].values == std::vector<json>{"batch"});
  CHECK(run_count(parse_experiment(text, "t", {"sweep={}"})) == 1);
}

TEST_CASE("a bad --set is a config error naming --set", "[overrides]") {
  CHECK(problems_of(config_with(""), {"model.norm"}) ==
        std::vector<std::string>{"--set 'model.norm': expected KEY=VALUE, e.g. --set train.steps=200"});
  CHECK(problems_of(config_with(""), {"=3"}) ==
        std::vector<std::string>{"--set '=3': expected KEY=VALUE, e.g. --set train.steps=200"});
  CHECK(problems_of(config_with(""), {"model.hiden=3"}) ==
        std::vector<std::string>{"--set model.hiden=3: unknown key 'model.hiden'; did you mean 'model.hidden'?"});
  CHECK(problems_of(config_with(""), {"sweep.optimizer.learning_rate=[1]"}) ==
        std::vector<std::string>{"--set sweep.optimizer.learning_rate=[1]: sweep key 'optimizer.learning_rate': "
                                 "unknown key; did you mean 'optimizer.lr'?"});
  // A valid key with a bad value: reported at its path, marked as coming from --set.
  CHECK(problems_of(config_with(""), {"train.batch_size=abc"}) ==
        std::vector<std::string>{"train.batch_size: expected an integer, got string \"abc\" (from --set)"});
  CHECK(problems_of(config_with(""), {"sweep.optimizer.lr=[1,0]"}) ==
        std::vector<std::string>{"sweep.optimizer.lr[1]: must be > 0 (from --set)"});
  CHECK(problems_of(config_with(R"("model": 3)"), {"model.arch=cnn"}) ==
        std::vector<std::string>{"--set model.arch=cnn: 'model' is not an object",
                                 "model: expected an object, got number 3"});
  CHECK(problems_of(config_with(""), {"name=\xff"}) ==
        std::vector<std::string>{"--set name=...: the value is not valid UTF-8"});
}

TEST_CASE("set override claims: the whole list, null drops it", "[overrides][claims]") {
  const std::string text = config_with(R"("sweep": {"model.norm": ["none", "batch"]},
    "claims": [{"id": "c", "claim": "BN is better", "metric": "final_test_acc",
                "compare": {"model.norm": ["batch", "none"]}, "expect": "greater", "margin": 0}])");
  CHECK(problems_of(text, {}).empty());
  // Narrowing the sweep leaves a claim without its runs: an error unless the claims go too.
  CHECK_FALSE(problems_of(text, {"sweep.model.norm=[\"batch\"]"}).empty());
  CHECK(problems_of(text, {"sweep.model.norm=[\"batch\"]", "claims=null"}).empty());
  CHECK(parse_experiment(text, "t", {}).claims.size() == 1);
  CHECK(parse_experiment(text, "t", {"claims=null"}).claims.empty());
}
