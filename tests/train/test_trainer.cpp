// The training loop on synthetic data: the loss falls and accuracy ends far above chance, the
// same seed gives identical metrics, a huge learning rate is reported as diverged, and the
// steady-state step creates no oneDNN primitive.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

#include "data/dataset.hpp"
#include "synthetic_data.hpp"
#include "model/builder.hpp"
#include "train/trainer.hpp"

using namespace bnlab;

namespace {

// 2000 training and 500 test images of the synthetic set, seed 7.
const DataSplit& trainer_data() { return testing::synthetic_split(2000, 500, 7); }

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
    const auto& data = trainer_data();
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
    const auto& data = trainer_data();
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

TEST_CASE("with a validation set, best_val_acc and steps_to_target are measured on it, not on the test set",
          "[train][validation]") {
  Setup s;
  s.model.norm = "batch";
  DataConfig config;
  config.dataset = "synthetic";
  config.train_size = 2000;
  config.test_size = 500;
  config.val_size = 500;
  const DataSplit data = load_data(config, 7);
  const Dataset& held_out = data.validation;
  s.train.target_accuracy = 0.4;
  auto net = build_model(s.model, {}, {}, {1, 28, 28}, 10, 1);
  Trainer trainer(*net, data.train, data.test, s.train, s.opt, "shuffled", &held_out);
  const TrainResult r = trainer.run();
  REQUIRE(r.history.size() == 4);
  CHECK(r.steps_to_target_on == "val");
  double best = 0;
  std::optional<std::int64_t> first_on_val;
  for (const auto& p : r.history) {
    REQUIRE(std::isfinite(p.val_acc));
    REQUIRE(std::isfinite(p.val_loss));
    CHECK(p.val_loss != p.test_loss);  // a different set of images
    best = std::max(best, p.val_acc);
    if (!first_on_val && p.val_acc >= 0.4) first_on_val = p.step;
  }
  CHECK(r.best_val_acc == best);
  CHECK(r.steps_to_target == first_on_val);
  CHECK(r.final.val_acc == r.history.back().val_acc);

  // Without one: empty validation values, and steps_to_target on the test set as before.
  auto plain_net = build_model(s.model, {}, {}, {1, 28, 28}, 10, 1);
  Trainer plain(*plain_net, data.train, data.test, s.train, s.opt);
  const TrainResult p = plain.run();
  CHECK(p.steps_to_target_on == "test");
  CHECK(std::isnan(p.best_val_acc));
  CHECK(std::isnan(p.final.val_acc));
  CHECK(p.final.test_acc == r.final.test_acc);  // evaluating a validation set changes no training
}
