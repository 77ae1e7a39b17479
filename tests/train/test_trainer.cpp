// The training loop on synthetic data: the loss falls and accuracy ends far above chance, the
// same seed gives identical metrics, a huge learning rate is reported as diverged, and the
// steady-state step creates no oneDNN primitive.
#include <catch2/catch.hpp>

#include "data/dataset.hpp"
#include "synthetic_data.hpp"
#include "model/builder.hpp"
#include "train/trainer.hpp"

using namespace bnlab;

namespace {

const DataSplit& synthetic() { return testing::synthetic_split(2000, 500, 7); }

struct Setup {
  ModelConfig model;
  TrainConfig train;
  OptimizerConfig opt;
  Setup() {
    model.hidden = {32, 32};
    model.activation = "relu";
    train.batch_size = 32;
    train.steps = 200;
    train.epochs.reset();
    train.eval_every = 50;
    train.target_accuracy = 0.5;
    opt.lr = 0.05;
  }
  TrainResult run(const std::string& norm, std::uint64_t seed = 1) {
    model.norm = norm;
    const auto& data = synthetic();
    auto net = build_model(model, {}, {}, {1, 28, 28}, 10, seed);
    train.seed = static_cast<std::int64_t>(seed);
    Trainer trainer(*net, data.train, data.test, train, opt);
    return trainer.run();
  }
};

}  // namespace

TEST_CASE("training on synthetic data learns", "[train]") {
  for (const char* norm : {"none", "batch"}) {
    INFO("norm " << norm);
    Setup s;
    const auto r = s.run(norm);
    REQUIRE(r.status == "ok");
    REQUIRE(r.history.size() == 4);  // steps 50, 100, 150 and the final 200
    CHECK(r.history.back().step == 200);
    CHECK(r.history.back().train_loss < 0.6 * r.history.front().train_loss);
    CHECK(r.final.test_acc > 0.5);  // chance is 0.1
    REQUIRE(r.steps_to_target.has_value());
    CHECK(*r.steps_to_target <= 200);
    CHECK(r.ms_per_step > 0);
  }
}

TEST_CASE("the same seed gives identical metrics, another seed different ones", "[train][determinism]") {
  Setup s;
  const auto a = s.run("batch", 3), b = s.run("batch", 3), c = s.run("batch", 4);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t i = 0; i < a.history.size(); ++i) {
    CHECK(a.history[i].train_loss == b.history[i].train_loss);
    CHECK(a.history[i].test_loss == b.history[i].test_loss);
    CHECK(a.history[i].test_acc == b.history[i].test_acc);
  }
  CHECK(a.final.test_loss != c.final.test_loss);
}

TEST_CASE("a huge learning rate ends the run as diverged", "[train]") {
  Setup s;
  s.opt.lr = 1e4;
  s.model.activation = "relu";
  const auto r = s.run("none");
  CHECK(r.status == "diverged");
  REQUIRE(r.diverged_at_step.has_value());
  CHECK(*r.diverged_at_step <= 200);
  CHECK(r.steps == *r.diverged_at_step - 1);
}

TEST_CASE("planned steps from epochs", "[train]") {
  TrainConfig t;
  t.batch_size = 60;
  t.epochs = 2.5;
  CHECK(planned_steps(t, 6000) == 250);
  t.steps = 17;
  CHECK(planned_steps(t, 6000) == 17);
}

TEST_CASE("the steady-state training step creates no primitive", "[train][perf]") {
  for (const char* arch : {"mlp", "cnn"}) {
    INFO(arch);
    Setup s;
    s.model.arch = arch;
    s.model.channels = {8};
    s.model.norm = "batch";
    const auto& data = synthetic();
    auto net = build_model(s.model, {}, {}, {1, 28, 28}, 10, 1);
    Tensor input = Tensor::plain(net->input_dims(16));
    input.from_vector(std::vector<float>(static_cast<std::size_t>(input.numel()), 0.5f));
    std::vector<std::int32_t> labels(16, 3);
    (void)data;
    SoftmaxCrossEntropy loss;
    auto step = [&] {
      loss.forward(net->forward(input, Mode::train), labels.data());
      net->backward(loss.backward());
    };
    step();
    const auto before = primitive_creations();
    for (int i = 0; i < 3; ++i) step();
    CHECK(primitive_creations() == before);
  }
}
