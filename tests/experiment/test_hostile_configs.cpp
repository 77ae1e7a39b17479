// Hostile configs (issue 17, 2.6): inputs that used to cost seconds and gigabytes, overflow, or pass
// validation and then fail every run. Each is refused at once, with one clear problem.
#include <catch2/catch.hpp>

#include <chrono>

#include "config_test_util.hpp"
#include "experiment/json_util.hpp"
#include "experiment/limits.hpp"
#include "experiment/sweep.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

double seconds_of(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("nesting: the depth pre-scan skips strings and finds the first bracket too deep", "[hostile]") {
  CHECK(find_too_deep("[[]]", 2) == std::string::npos);
  CHECK(find_too_deep("[[[]]]", 2) == 2);
  CHECK(find_too_deep(R"({"a": "[[[[", "b": [1]})", 2) == std::string::npos);   // brackets in a string
  CHECK(find_too_deep(R"({"a": "\"[[[", "b": [[1]]})", 2) == 21);            // an escaped quote
  CHECK(find_too_deep(nested(kMaxJsonDepth)) == std::string::npos);
}

TEST_CASE("nesting: 50,000 levels are refused at once with their line and column", "[hostile]") {
  // Before: 20-30 s and 3.9 GB, then a crash.
  const std::string text = "{\"name\": \"t\",\n \"probes\": " + nested(50000) + "}";
  std::vector<std::string> problems;
  CHECK(seconds_of([&] { problems = problems_of(text); }) < 1.0);
  CHECK(problems == std::vector<std::string>{"test.json:2:75: nested deeper than 64 levels of [ and {; no config needs that"});
  // A --set value too: before, it was parsed the same way.
  CHECK(problems_of(config_with(""), {"probes.x=" + nested(1000)}) ==
        std::vector<std::string>{"--set probes.x=...: the value nests deeper than 64 levels of [ and { (at byte 65)"});
}

TEST_CASE("size: a config text and a --set value have a maximum size", "[hostile]") {
  json seeds = json::array();
  for (int i = 0; i < 60000; ++i) seeds.push_back(i);  // ~400 KB of JSON
  const std::string text = json{{"name", "t"}, {"sweep", {{"train.seed", seeds}}}}.dump();
  REQUIRE(text.size() > kMaxConfigBytes);
  CHECK(problems_of(text) ==
        std::vector<std::string>{"test.json: larger than 256 KiB, the most a config may have (a sweep that large is a "
                                 "mistake, or belongs in several files)"});
  CHECK_THAT(problems_of(config_with(""), {"sweep.train.seed=" + seeds.dump()}).at(0),
             StartsWith("--set sweep.train.seed=...: the value has"));
}

TEST_CASE("sweep: too many runs is refused from the list sizes, before any value is checked", "[hostile]") {
  json seeds = json::array(), lrs = json::array();
  for (int i = 0; i < 400; ++i) seeds.push_back(i), lrs.push_back(-1 - i);  // every lr is invalid
  const std::string text = json{{"name", "t"}, {"sweep", {{"train.seed", seeds}, {"optimizer.lr", lrs}}}}.dump();
  // Before: 400 problems "sweep.optimizer.lr[i]: must be > 0", then the run count.
  CHECK(problems_of(text) == std::vector<std::string>{"sweep: 160000 runs (400 x 400 values); the limit is 100000"});
}

TEST_CASE("train.epochs: an absurd length is refused instead of overflowing to 0 steps", "[hostile]") {
  // Before: valid, and the run ended `ok` after 0 steps.
  const auto problems = problems_of(config_with(R"("data": {"dataset": "synthetic"}, "train": {"epochs": 2e16})"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "train.epochs: 2e+16 epochs of 6000 samples in batches of 60 are 2e+18 steps (1.2e+20 samples); a run may "
        "have at most 1e+15 steps and 1e+18 samples");
  CHECK(problems_of(config_with(R"("train": {"steps": 2e15})")) ==
        std::vector<std::string>{"train.steps: must be in [1, 1e+15]"});
  CHECK(problems_of(config_with(R"("train": {"steps": 1e15})")).empty());  // long, but it fits
  TrainConfig t;
  t.epochs = 2e16;
  CHECK_THROWS_AS(planned_steps(t, 6000), ConfigError);  // the trainer does not trust its caller
}

TEST_CASE("memory: a model too large for the limit is refused with the estimate and the limit", "[hostile]") {
  // Before: valid; each run allocated 6-7 GB over 30-45 s, then "could not create a memory object".
  // (About 24 GB with its gradients and momentum: the limit is explicit, so the test does not depend
  // on this machine's memory.)
  const auto problems = problems_of(config_with(R"("model": {"hidden": [2000000]}, "train": {"max_memory_mb": 16000})"));
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], StartsWith("model: a run needs about "));
  CHECK_THAT(problems[0], Contains("1592000010 parameters 6073 MB"));
  CHECK_THAT(problems[0], Contains("train.max_memory_mb is 16000 MB"));
  // Without a limit, the machine's memory (no machine has the ~240 GB of this one).
  const auto on_machine = problems_of(config_with(R"("model": {"hidden": [20000000]})"));
  REQUIRE(on_machine.size() == 1);
  CHECK_THAT(on_machine[0], Contains("this machine has"));
  // An explicit limit, and the quickstart's size under it.
  CHECK_THAT(problems_of(config_with(R"("train": {"max_memory_mb": 100})")).at(0), Contains("train.max_memory_mb is 100 MB"));
  CHECK(problems_of(config_with(R"("train": {"max_memory_mb": 2000})")).empty());
  // A cnn deeper than the image can halve: refused by validation, not by every run.
  CHECK(problems_of(config_with(R"("model": {"arch": "cnn", "channels": [4, 4, 4, 4, 4, 4]})")) ==
        std::vector<std::string>{"model.channels: too many conv blocks for 28x28 images (each halves the size)"});
}

TEST_CASE("memory: train.max_memory_mb is not part of the run id", "[hostile]") {
  const auto plan_a = expand(parse_experiment(config_with(R"("train": {"max_memory_mb": 3000})"), "a.json"));
  const auto plan_b = expand(parse_experiment(config_with(""), "b.json"));
  CHECK(plan_a.at(0).run_id == plan_b.at(0).run_id);
}

TEST_CASE("name: a name that cannot be a folder is refused by validation", "[hostile]") {
  // Before: a 256-character name passed validate and failed every run.
  CHECK(problems_of(json{{"name", std::string(256, 'n')}}.dump()) ==
        std::vector<std::string>{"name: 256 characters; at most 100 (it names a folder)"});
  CHECK(problems_of(json{{"name", std::string(100, 'n')}}.dump()).empty());
  for (const char* bad : {".", "..", ".hidden", "-rf", "a/b", "a b"}) CHECK(problems_of(json{{"name", bad}}.dump()).size() == 1);
}

TEST_CASE("a rule is not checked on a key whose value was refused", "[hostile]") {
  // Before: "train: neither steps nor epochs is set" followed, though epochs was only unset by the --set.
  CHECK(problems_of(config_with(R"("train": {"epochs": 2})"), {"train.steps=0"}) ==
        std::vector<std::string>{"train.steps: must be in [1, 1e+15] (from --set)"});
  CHECK(problems_of(config_with(R"("train": {"steps": "ten"})")) ==
        std::vector<std::string>{"train.steps: expected an integer or null, got string \"ten\""});
}

TEST_CASE("a problem of many swept runs is reported once, with how many runs and which values", "[hostile]") {
  json seeds = json::array();
  for (int i = 0; i < 300; ++i) seeds.push_back(i);
  const json base = {{"name", "t"}, {"probes", {{"activation_percentiles", {{"every", 0}}}}}};
  json all = base;
  all["sweep"] = {{"train.seed", seeds}};
  // Before: 300 lines, one per seed.
  CHECK(problems_of(all.dump()) == std::vector<std::string>{
                                       "probes.activation_percentiles.every: must be an integer >= 1, got 0 (in all 300 runs)"});
  json some = base;
  some.erase("probes");
  some["sweep"] = {{"probes.activation_percentiles.every", {0, 5, 10}}, {"train.seed", seeds}};
  CHECK(problems_of(some.dump()) ==
        std::vector<std::string>{"probes.activation_percentiles.every: must be an integer >= 1, got 0 (in 300 of 900 "
                                 "runs, those "
                                 "with probes.activation_percentiles.every=0)"});
}
