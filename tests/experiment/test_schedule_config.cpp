// The lr-schedule keys (optimizer.warmup_epochs, optimizer.schedule): validation, and run ids of
// configs that leave them at their defaults unchanged.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "experiment/sweep.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using nlohmann::json;

TEST_CASE("optimizer.schedule and warmup_epochs are validated", "[config][schedule]") {
  CHECK(problems_of(config_with(R"("optimizer": {"schedule": "cosine", "warmup_epochs": 0.5})")).empty());
  const auto schedule = problems_of(config_with(R"("optimizer": {"schedule": "cosin"})"));
  REQUIRE(schedule.size() == 1);
  CHECK(schedule[0].rfind("optimizer.schedule:", 0) == 0);
  CHECK(schedule[0].find("cosine") != std::string::npos);
  const auto warmup = problems_of(config_with(R"("optimizer": {"warmup_epochs": -1})"));
  REQUIRE(warmup.size() == 1);
  CHECK(warmup[0].rfind("optimizer.warmup_epochs:", 0) == 0);
}

TEST_CASE("run_id: the schedule keys at their defaults leave run ids as they were", "[config][schedule][sweep]") {
  const auto plain = expand(parse_experiment(config_with(R"("model": {"arch": "mlp"})"), "a", {}))[0];
  json before = plain.resolved;
  for (const char* key : {"warmup_epochs", "schedule"}) {
    REQUIRE(before["optimizer"].contains(key));
    before["optimizer"].erase(key);
  }
  CHECK(plain.run_id == run_id(before));
  const auto id = [](const std::string& optimizer) {
    return expand(parse_experiment(config_with(R"("optimizer": )" + optimizer), "b", {}))[0].run_id;
  };
  CHECK(id(R"({"schedule": "constant", "warmup_epochs": 0})") == id("{}"));
  CHECK(id(R"({"schedule": "cosine"})") != id("{}"));
  CHECK(id(R"({"warmup_epochs": 1})") != id(R"({"warmup_epochs": 2})"));
}
