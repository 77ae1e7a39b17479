// Run config parsing: the v1 schema, one test per kind of problem with its exact message,
// defaults, and the to_json round trip.
#include <catch2/catch.hpp>

#include "experiment/config.hpp"
#include "experiment/schema.hpp"
#include "experiment/sweep.hpp"
#include "config_test_util.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using Catch::Matchers::VectorContains;
using nlohmann::json;

namespace {

// DESIGN.md's example config, verbatim.
const char* kDesignExample = R"({
  "name": "lr_sweep",
  "description": "BN tolerates higher learning rates",
  "data":      {"dataset": "fashion-mnist", "dir": null, "train_size": null, "test_size": null,
                "batching": "shuffled"},
  "model":     {"arch": "mlp", "hidden": [100, 100, 100], "channels": [16, 32], "fc": [],
                "activation": "relu", "norm": "batch", "norm_position": "pre_activation", "dropout": 0.0},
  "norm":      {"eps": 1e-5, "momentum": 0.1, "group_size": 4, "ghost_batch_size": 16},
  "init":      {"scheme": "he", "std": null},
  "optimizer": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0, "lr_base_batch": null,
                "lr_scaling": "linear"},
  "train":     {"batch_size": 60, "steps": null, "epochs": 2, "eval_every": 250, "seed": 1,
                "target_accuracy": 0.8, "divergence_loss": 1000},
  "probes":    {},
  "sweep":     {"optimizer.lr": [0.01, 0.1, 1.0], "model.norm": ["none", "batch"], "train.seed": [1, 2]}
})";

}  // namespace

TEST_CASE("DESIGN's example config is valid and gives 12 runs", "[config]") {
  const Experiment e = parse_experiment(kDesignExample, "example.json", {});
  CHECK(e.name == "lr_sweep");
  CHECK(e.description == "BN tolerates higher learning rates");
  REQUIRE(e.sweep.size() == 3);
  CHECK(e.sweep[0].key == "optimizer.lr");  // file order, not alphabetical
  CHECK(e.sweep[2].key == "train.seed");
  CHECK(expand(e).size() == 12);
}

TEST_CASE("keys left out keep the struct defaults", "[config]") {
  const RunConfig c = parse_run_config(json{{"name", "t"}});
  RunConfig expected;
  expected.name = "t";
  CHECK(c == expected);
  CHECK(c.model.hidden == std::vector<std::int64_t>{100, 100, 100});
  CHECK(c.train.epochs == 2.0);
  CHECK_FALSE(c.train.steps);
  CHECK(c.probes == json::object());
}

TEST_CASE("unknown key: named by its path, with the closest valid key", "[config]") {
  CHECK(problems_of(config_with(R"("model": {"hiden": [10]})")) ==
        std::vector<std::string>{"model.hiden: unknown key; did you mean 'hidden'?"});
  CHECK(problems_of(config_with(R"("optimiser": {})")) ==
        std::vector<std::string>{"optimiser: unknown key; did you mean 'optimizer'?"});
  // The right key in the wrong section.
  CHECK(problems_of(config_with(R"("train": {"lr": 0.1})")) ==
        std::vector<std::string>{"train.lr: unknown key; did you mean 'optimizer.lr'?"});
  // Nothing close: no suggestion.
  CHECK(problems_of(config_with(R"("model": {"zzzzzzzz": 1})")) ==
        std::vector<std::string>{"model.zzzzzzzz: unknown key"});
}

TEST_CASE("wrong type: expected type and the value given", "[config]") {
  CHECK(problems_of(config_with(R"("train": {"batch_size": "60"})")) ==
        std::vector<std::string>{"train.batch_size: expected an integer, got string \"60\""});
  CHECK(problems_of(config_with(R"("train": {"batch_size": 1.5})")) ==
        std::vector<std::string>{"train.batch_size: expected an integer, got number 1.5"});
  // Only the real problem: no "neither steps nor epochs is set" from a rule that would see the
  // refused steps as unset (issue 17).
  CHECK(problems_of(config_with(R"("train": {"steps": true, "epochs": null})")) ==
        std::vector<std::string>{"train.steps: expected an integer or null, got boolean true"});
  CHECK(problems_of(config_with(R"("model": {"hidden": [10, "x"]})")) ==
        std::vector<std::string>{"model.hidden[1]: expected an integer, got string \"x\""});
  CHECK(problems_of(config_with(R"("model": [])")) ==
        std::vector<std::string>{"model: expected an object, got array []"});
  CHECK(problems_of(config_with(R"("probes": 3)")) ==
        std::vector<std::string>{"probes: expected an object, got number 3"});
  CHECK(problems_of("[1, 2]") == std::vector<std::string>{"config: expected a JSON object, got array [1,2]"});
}

TEST_CASE("an integral float is an integer, null unsets an optional", "[config]") {
  const RunConfig c = parse_run_config(json::parse(R"({"name": "t", "train": {"batch_size": 6e1},
                                                      "data": {"train_size": null}})"));
  CHECK(c.train.batch_size == 60);
  CHECK_FALSE(c.data.train_size);
}

TEST_CASE("out-of-range values: the allowed range", "[config]") {
  CHECK(problems_of(config_with(R"("optimizer": {"lr": 0})")) ==
        std::vector<std::string>{"optimizer.lr: must be > 0"});
  CHECK(problems_of(config_with(R"("optimizer": {"momentum": 1.0})")) ==
        std::vector<std::string>{"optimizer.momentum: must be in [0, 1)"});
  CHECK(problems_of(config_with(R"("train": {"target_accuracy": 0})")) ==
        std::vector<std::string>{"train.target_accuracy: must be in (0, 1]"});
  CHECK(problems_of(config_with(R"("train": {"batch_size": 0})")) ==
        std::vector<std::string>{"train.batch_size: must be >= 1"});
  CHECK(problems_of(config_with(R"("model": {"hidden": [10, 0]})")) ==
        std::vector<std::string>{"model.hidden[1]: must be >= 1"});
  CHECK(problems_of(config_with(R"("norm": {"momentum": 1.0}, "model": {"hidden": []})")).empty());
}

TEST_CASE("enum value not in the list: the list and the closest value", "[config]") {
  CHECK(problems_of(config_with(R"("model": {"activation": "sigmoidd"})")) ==
        std::vector<std::string>{
            "model.activation: 'sigmoidd' is not one of relu, sigmoid, tanh; did you mean 'sigmoid'?"});
  CHECK(problems_of(config_with(R"("model": {"activation": "swish"})")) ==
        std::vector<std::string>{"model.activation: 'swish' is not one of relu, sigmoid, tanh"});
  CHECK(problems_of(config_with(R"("data": {"dataset": "fashion_mnist"})")) ==
        std::vector<std::string>{"data.dataset: 'fashion_mnist' is not one of fashion-mnist, mnist, synthetic; "
                                 "did you mean 'fashion-mnist'?"});
  // model.norm takes its values from the norm registry.
  const auto problems = problems_of(config_with(R"("model": {"norm": "batchnorm"})"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("model.norm: 'batchnorm' is not one of none, batch", 0) == 0);
  CHECK(problems[0].find("did you mean 'batch'?") != std::string::npos);
}

TEST_CASE("train.steps and train.epochs: exactly one", "[config]") {
  CHECK(problems_of(config_with(R"("train": {"steps": 100, "epochs": 2})")) ==
        std::vector<std::string>{"train: steps and epochs are both set; set exactly one (the other null or left out)"});
  CHECK(problems_of(config_with(R"("train": {"epochs": null})")) ==
        std::vector<std::string>{"train: neither steps nor epochs is set; set exactly one"});
  CHECK(problems_of(config_with(R"("train": {"steps": null, "epochs": null})")) ==
        std::vector<std::string>{"train: neither steps nor epochs is set; set exactly one"});
  // steps given, epochs left out: steps only (the struct's default epochs does not apply).
  const RunConfig steps_only = parse_run_config(json::parse(R"({"name": "t", "train": {"steps": 100}})"));
  CHECK(steps_only.train.steps == 100);
  CHECK_FALSE(steps_only.train.epochs);
  const RunConfig epochs_only = parse_run_config(json::parse(R"({"name": "t", "train": {"epochs": 0.5}})"));
  CHECK(epochs_only.train.epochs == 0.5);
  CHECK_FALSE(epochs_only.train.steps);
}

TEST_CASE("rules between keys", "[config]") {
  CHECK(problems_of(config_with(R"("init": {"scheme": "normal"})")) ==
        std::vector<std::string>{"init.std: required when init.scheme is 'normal'"});
  CHECK(problems_of(config_with(R"("init": {"scheme": "normal", "std": 0.01})")).empty());
  CHECK(problems_of(config_with(R"("data": {"dataset": "mnist"})")) ==
        std::vector<std::string>{"data.dir: required when data.dataset is 'mnist'"});
  CHECK(problems_of(config_with(R"("model": {"arch": "cnn", "channels": []})")) ==
        std::vector<std::string>{"model.channels: must not be empty when model.arch is 'cnn'"});
}

TEST_CASE("precise BN needs batches of 2 and at least one batch of images", "[config][precise_bn]") {
  CHECK(problems_of(config_with(R"("train": {"precise_bn_samples": 10, "batch_size": 60})")) ==
        std::vector<std::string>{"train.precise_bn_samples: 10 images are fewer than one batch of 60"});
  CHECK(problems_of(config_with(R"("train": {"precise_bn_samples": 100, "precise_bn_batch": 1})")) ==
        std::vector<std::string>{"train.precise_bn_batch: batch statistics need batches of at least 2 images, got 1"});
  CHECK(problems_of(config_with(R"("train": {"precise_bn_samples": 100, "batch_size": 1, "precise_bn_batch": 50})")).empty());
  CHECK(problems_of(config_with(R"("train": {"precise_bn_samples": -1})")) ==
        std::vector<std::string>{"train.precise_bn_samples: must be >= 0"});
}

TEST_CASE("data.val_size must leave training images, also for train_size", "[config][validation]") {
  CHECK(problems_of(config_with(R"("data": {"val_size": -1})")) ==
        std::vector<std::string>{"data.val_size: must be >= 0"});
  CHECK(problems_of(config_with(R"("data": {"val_size": 60000})")) ==
        std::vector<std::string>{"data.val_size: 60000 leaves no training images (fashion-mnist has 60000); hold out "
                                 "fewer"});
  CHECK(problems_of(config_with(R"("data": {"val_size": 10000, "train_size": 50001})")) ==
        std::vector<std::string>{"data.train_size: 50001 plus data.val_size 10000 is more than the 60000 training "
                                 "images of fashion-mnist"});
  CHECK(problems_of(config_with(R"("data": {"val_size": 10000, "train_size": 50000})")).empty());
  CHECK(problems_of(config_with(R"("data": {"dataset": "synthetic", "val_size": 6000})")).size() == 1);
  CHECK(problems_of(config_with(R"("data": {"dataset": "synthetic", "val_size": 6000, "train_size": 100})")).empty());
}

TEST_CASE("name: required and safe as a folder name", "[config]") {
  CHECK(problems_of("{}") == std::vector<std::string>{
                                 "name: missing; experiment name: results go to <out>/<name>/ (letters, digits, "
                                 "'_', '.', '-'; at most 100, the first not '.' or '-')"});
  CHECK(problems_of(R"({"name": ""})") == std::vector<std::string>{"name: must not be empty"});
  CHECK(problems_of(R"({"name": "../x"})") ==
        std::vector<std::string>{"name: string \"../x\" is not a safe file name; use letters, digits, '_', '.' and "
                                 "'-', not starting with '.' or '-'"});
  CHECK(problems_of(R"({"name": "lr-sweep_2.v1"})").empty());
}

TEST_CASE("malformed JSON: file, line and column", "[config]") {
  const std::string text = "{\n  \"name\": \"x\",\n  \"model\": {\"arch\" \"mlp\"}\n}\n";
  const auto problems = problems_of(text);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].rfind("test.json:3:24: syntax error while parsing object separator", 0) == 0);

  const auto overflow = problems_of("{\"name\": \"x\",\n \"optimizer\": {\"lr\": 1e999}}");
  REQUIRE(overflow.size() == 1);
  CHECK(overflow[0] == "test.json:2:22: number overflow parsing '1e999'");

  CHECK(problems_of("").at(0).rfind("test.json:1:1: syntax error", 0) == 0);
}

TEST_CASE("a key twice in one object is a problem", "[config]") {
  CHECK(problems_of(R"({"name": "t", "model": {"arch": "mlp", "arch": "cnn"}})") ==
        std::vector<std::string>{"model.arch: duplicate key (each key may appear once in an object)"});
}

TEST_CASE("every problem in a file is reported, in file order", "[config]") {
  const std::string text = R"({
    "name": "t",
    "model": {"hiden": [10], "activation": "sigmoidd"},
    "optimizer": {"lr": -1},
    "train": {"batch_size": "60", "steps": 5, "epochs": 1},
    "sweep": {"optimizer.learning_rate": [0.1], "model.norm": []}
  })";
  const std::vector<std::string> expected{
      "model.hiden: unknown key; did you mean 'hidden'?",
      "model.activation: 'sigmoidd' is not one of relu, sigmoid, tanh; did you mean 'sigmoid'?",
      "optimizer.lr: must be > 0",
      "train.batch_size: expected an integer, got string \"60\"",
      "sweep.optimizer.learning_rate: unknown key; did you mean 'optimizer.lr'?",
      "sweep.model.norm: empty list; a sweep axis needs at least one value",
      "train: steps and epochs are both set; set exactly one (the other null or left out)",
  };
  try {
    parse_experiment(text, "t.json", {});
    FAIL("no ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.problems() == expected);
    CHECK(std::string(e.what()).find("optimizer.lr: must be > 0\n") != std::string::npos);
  }
}

TEST_CASE("parse_run_config throws ConfigError and rejects a sweep", "[config]") {
  CHECK_THROWS_AS(parse_run_config(json{{"name", "t"}, {"optimizer", {{"lr", -1}}}}), ConfigError);
  CHECK_THROWS_WITH(parse_run_config(json{{"name", "t"}, {"sweep", json::object()}}),
                    "sweep: not part of a run config (a sweep belongs to an experiment file)");
}

TEST_CASE("to_json resolves every key and parse(to_json(c)) == c", "[config]") {
  RunConfig c;
  c.name = "rt";
  c.description = "round trip";
  c.data.dataset = "mnist";
  c.data.dir = "/data/mnist";
  c.data.train_size = 1000;
  c.data.val_size = 500;
  c.model.arch = "cnn";
  c.model.hidden = {};
  c.model.fc = {64};
  c.model.norm = "none";
  c.model.dropout = 0.25;
  c.norm.eps = 1e-3;
  c.init.scheme = "normal";
  c.init.std = 0.05;
  c.optimizer.lr_base_batch = 256;
  c.optimizer.lr_scaling = "sqrt";
  c.train.steps = 300;
  c.train.epochs.reset();
  c.train.target_accuracy.reset();
  c.probes = json{{"activation_percentiles", {{"every", 50}}}};

  const json j = to_json(c);
  CHECK(j.at("data").at("test_size").is_null());
  CHECK(j.at("train").at("epochs").is_null());
  CHECK(j.at("train").at("target_accuracy").is_null());
  std::size_t keys = 0;
  for (const auto& [section, value] : j.items()) keys += value.is_object() && section != "probes" ? value.size() : 1;
  CHECK(keys == config_schema().size());
  CHECK(parse_run_config(j) == c);

  RunConfig defaults;
  defaults.name = "d";
  CHECK(parse_run_config(to_json(defaults)) == defaults);

  RunConfig other = c;
  other.norm.momentum = 0.2;
  CHECK_FALSE(other == c);
}

TEST_CASE("schema table: every key described, every default valid", "[config]") {
  const RunConfig defaults = parse_run_config(json{{"name", "d"}});
  for (const auto& spec : config_schema()) {
    INFO(spec.path);
    CHECK_FALSE(spec.description.empty());
    std::vector<std::string> problems;
    CHECK(check_value(spec, spec.get(defaults), spec.path, problems));
    CHECK(problems.empty());
  }
}
