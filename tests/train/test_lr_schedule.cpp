// The learning-rate schedule (optimizer.warmup_epochs, optimizer.schedule): OptimizerConfig::lr_at
// against hand-computed values, and the trainer using it step by step.
#include <catch2/catch.hpp>

#include <cmath>

#include "model/builder.hpp"
#include "synthetic_data.hpp"
#include "train/trainer.hpp"

using namespace bnlab;

TEST_CASE("lr_at: linear warm-up, then constant or cosine, after the batch-size scaling", "[train][schedule]") {
  OptimizerConfig o;
  o.lr = 0.1;
  o.lr_base_batch = 32;  // batch 64, linear: base 0.2
  o.warmup_epochs = 0.5; // 10 steps per epoch: W = 5
  for (int s = 1; s <= 5; ++s) CHECK(o.lr_at(s, 15, 10, 64) == Approx(0.04 * s).epsilon(1e-12));
  CHECK(o.lr_at(6, 15, 10, 64) == Approx(0.2).epsilon(1e-12));  // constant after the warm-up
  CHECK(o.lr_at(15, 15, 10, 64) == Approx(0.2).epsilon(1e-12));
  o.schedule = "cosine";  // t = (s - W - 1) / (total - W) = (s - 6) / 10
  CHECK(o.lr_at(6, 15, 10, 64) == Approx(0.2).epsilon(1e-12));
  CHECK(o.lr_at(11, 15, 10, 64) == Approx(0.1).epsilon(1e-12));
  CHECK(o.lr_at(15, 15, 10, 64) == Approx(0.1 * (1 + std::cos(0.9 * M_PI))).epsilon(1e-12));  // 0.0048943
  CHECK(o.lr_at(15, 15, 10, 64) == Approx(0.0048943).epsilon(1e-4));
}

TEST_CASE("lr_at: no warm-up is the plain lr, a warm-up longer than the run ends at the full lr",
          "[train][schedule]") {
  OptimizerConfig o;
  o.lr = 0.05;
  for (int s : {1, 2, 100}) CHECK(o.lr_at(s, 100, 10, 60) == 0.05);  // bit for bit: the default
  o.warmup_epochs = 1e300;  // W = total (no overflow)
  CHECK(o.lr_at(1, 100, 10, 60) == Approx(0.0005));
  CHECK(o.lr_at(100, 100, 10, 60) == Approx(0.05));
  o.schedule = "cosine";  // nothing left to decay
  CHECK(o.lr_at(100, 100, 10, 60) == Approx(0.05));
}

TEST_CASE("the trainer steps with the scheduled lr and reports it at each evaluation", "[train][schedule]") {
  const auto& data = testing::synthetic_split(2000, 500, 7);
  ModelConfig model;
  model.hidden = {32};
  model.activation = "relu";
  model.norm = "batch";
  TrainConfig train;
  train.batch_size = 40;  // 50 steps per epoch
  train.steps = 120;
  train.epochs.reset();
  train.eval_every = 30;
  OptimizerConfig constant;
  constant.lr = 0.05;
  OptimizerConfig scheduled = constant;
  scheduled.warmup_epochs = 1;  // W = 50
  scheduled.schedule = "cosine";
  auto run = [&](const OptimizerConfig& opt) {
    auto net = build_model(model, {}, {}, {1, 28, 28}, 10, 1);
    return Trainer(*net, data.train, data.test, train, opt).run();
  };
  const auto a = run(constant), b = run(scheduled);
  REQUIRE(b.history.size() == 4);  // steps 30, 60, 90, 120
  for (const auto& p : b.history) CHECK(p.lr == scheduled.lr_at(p.step, 120, 50, 40));
  CHECK(b.history[0].lr == Approx(0.05 * 30 / 50));
  CHECK(b.history[3].lr < 0.001);  // near the end of the cosine
  for (const auto& p : a.history) CHECK(p.lr == 0.05);
  CHECK(a.history[0].train_loss != b.history[0].train_loss);  // SGD took the scheduled lr
}
