// The evaluator: splitting a chunk into smaller forwards (to keep activations in a few MB) does
// not change a bit of the loss or the accuracy in eval mode (issue 18).
#include <catch2/catch.hpp>

#include "model/builder.hpp"
#include "synthetic_data.hpp"
#include "train/loss.hpp"

using namespace bnlab;

TEST_CASE("evaluation in forwards of 100 gives the bits of whole 1000-sample chunks", "[evaluator]") {
  const DataSplit& data = testing::synthetic_split(2000, 2500, 3);
  ModelConfig model;
  NormConfig norm;
  SECTION("mlp") {
    model.arch = "mlp";
    model.hidden = {100, 100};
  }
  SECTION("cnn") {
    model.arch = "cnn";
    model.channels = {16, 32};
  }
  auto net = build_model(model, norm, {}, {1, 28, 28}, 10, 1);
  Evaluator whole(1000, 1000), split(1000, 100), odd(1000, 300);  // 300: forwards of 300, 300, 300, 100
  const Evaluation a = whole(*net, data.test, Mode::eval);
  const Evaluation b = split(*net, data.test, Mode::eval);
  const Evaluation c = odd(*net, data.test, Mode::eval);
  CHECK(a.loss == b.loss);
  CHECK(a.accuracy == b.accuracy);
  CHECK(a.loss == c.loss);
  CHECK(a.accuracy == c.accuracy);
  CHECK(a.loss > 0);
}
