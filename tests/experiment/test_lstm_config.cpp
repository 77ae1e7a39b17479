// The config keys of model.arch "lstm" (issue 14): the norms it takes, the ones refused, and run
// ids of other archs unchanged by the new keys.
#include <catch2/catch.hpp>

#include "config_test_util.hpp"
#include "experiment/sweep.hpp"

using namespace bnlab;
using bnlab::testing::config_with;
using bnlab::testing::problems_of;
using nlohmann::json;

TEST_CASE("model.arch lstm takes none, batch_input, batch and layer", "[config][lstm]") {
  for (const char* norm : {"none", "batch_input", "batch", "layer"}) {
    INFO(norm);
    CHECK(problems_of(config_with(R"("model": {"arch": "lstm", "norm": ")" + std::string(norm) + R"("})")).empty());
  }
  CHECK(problems_of(config_with(R"("model": {"arch": "lstm", "sequence": "permuted_pixels", "permutation_seed": 3,
                                             "lstm_hidden": 64, "lstm_layers": 2})"))
            .empty());
}

TEST_CASE("a norm without an LSTM variant, and batch_input outside an LSTM, are config errors", "[config][lstm]") {
  CHECK(problems_of(config_with(R"("model": {"arch": "lstm", "norm": "group"})")) ==
        std::vector<std::string>{"model.norm: 'group' has no LSTM variant; with model.arch 'lstm' use none, "
                                 "batch_input, batch or layer"});
  CHECK(problems_of(config_with(R"("model": {"arch": "mlp", "norm": "batch_input"})")) ==
        std::vector<std::string>{
            "model.norm: 'batch_input' (BN on an LSTM's input-to-hidden path) needs model.arch 'lstm'"});
  const auto sequence = problems_of(config_with(R"("model": {"arch": "lstm", "sequence": "pixel"})"));
  REQUIRE(sequence.size() == 1);
  CHECK(sequence[0].find("pixels") != std::string::npos);  // the closest valid value
  CHECK_FALSE(problems_of(config_with(R"("model": {"arch": "lstm", "lstm_hidden": 0})")).empty());
}

TEST_CASE("run_id: the LSTM keys leave the ids of mlp and cnn runs as they were", "[config][lstm][sweep]") {
  const auto mlp = expand(parse_experiment(config_with(R"("model": {"arch": "mlp"})"), "a", {}))[0];
  json before = mlp.resolved;
  for (const char* key : {"lstm_hidden", "lstm_layers", "sequence", "permutation_seed"}) {
    REQUIRE(before["model"].contains(key));
    before["model"].erase(key);
  }
  CHECK(mlp.run_id == run_id(before));
  const auto lstm_id = [](const std::string& model) {
    return expand(parse_experiment(config_with(R"("model": )" + model), "b", {}))[0].run_id;
  };
  CHECK(lstm_id(R"({"arch": "lstm", "lstm_hidden": 64})") != lstm_id(R"({"arch": "lstm", "lstm_hidden": 32})"));
}
