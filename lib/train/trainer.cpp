#include "train/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "core/errors.hpp"
#include "core/float_env.hpp"
#include "core/output_buffer.hpp"
#include "core/random.hpp"
#include "core/setup_clock.hpp"
#include "data/batcher.hpp"
#include "train/loss.hpp"

namespace bnlab {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

std::int64_t planned_steps(const TrainConfig& train, std::int64_t train_samples) {
  const double steps = planned_steps_exact(train, train_samples);
  // The schema refuses these for the data set it expects; an IDX folder larger than that (or a
  // caller that skipped validation) must still not overflow into a run of 0 steps.
  if (!(steps <= kMaxSteps) || steps * static_cast<double>(train.batch_size) > kMaxSamples)
    throw ConfigError("train: " + fmt::format("{:g}", steps) + " steps of batch " + std::to_string(train.batch_size) +
                      " on " + std::to_string(train_samples) + " samples is too long a run (at most 1e15 steps, 1e18 samples)");
  return static_cast<std::int64_t>(steps);
}

Trainer::Trainer(Network& net, const Dataset& train, const Dataset& test, const TrainConfig& train_config,
                 const OptimizerConfig& optimizer_config, std::string batching, const Dataset* validation)
    : net_(net),
      train_(train),
      test_(test),
      validation_(validation && validation->n > 0 ? validation : nullptr),
      config_(train_config),
      optimizer_config_(optimizer_config),
      batching_(std::move(batching)) {}

EvalPoint Trainer::evaluate(std::int64_t step, double epoch, double lr, double wall_s) {
  EvalPoint point;
  point.step = step;
  point.epoch = epoch;
  point.samples = step * config_.batch_size;
  point.lr = lr;
  const auto on_train = evaluator_(net_, train_, Mode::eval, kTrainEvalSamples);
  const auto on_test = evaluator_(net_, test_, Mode::eval);
  point.train_loss = on_train.loss;
  point.train_acc = on_train.accuracy;
  point.test_loss = on_test.loss;
  point.test_acc = on_test.accuracy;
  if (validation_) {
    const auto on_validation = evaluator_(net_, *validation_, Mode::eval);
    point.val_loss = on_validation.loss;
    point.val_acc = on_validation.accuracy;
  }
  point.wall_s = wall_s;
  return point;
}

TrainResult Trainer::run() {
  const FlushDenormals flush_denormals;  // see core/float_env.hpp
  const auto t0 = Clock::now();
  TrainResult result;
  if (validation_) result.steps_to_target_on = "val";
  const std::int64_t batch = config_.batch_size;
  const std::int64_t total = planned_steps(config_, train_.n);
  result.total_steps = total;
  const std::int64_t per_epoch = steps_per_epoch(batch, train_.n);
  auto lr_of = [&](std::int64_t step) { return optimizer_config_.lr_at(step, total, per_epoch, batch); };
  double lr = lr_of(1);  // the lr of the step in progress; evaluations report the last step's

  Batcher batcher(train_, batch, batching_, derive_seed(static_cast<std::uint64_t>(config_.seed), 0xda7a));
  Sgd sgd(net_.params(), optimizer_config_.momentum, optimizer_config_.weight_decay);
  SoftmaxCrossEntropy loss_fn;
  Tensor input = output_buffer(plain_desc(net_.input_dims(batch)));
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  double step_seconds = 0, eval_seconds = 0;
  double step_setup = 0, eval_setup = 0;  // setup_seconds() inside steps and evaluations

  // Each observer call timed on its own, so status.json can say which probe costs what.
  result.observer_s.assign(observers_.size(), 0.0);
  auto timed = [&](std::size_t i, auto&& call) {
    const auto p0 = Clock::now();
    call();
    const double s = seconds_since(p0);
    result.observer_s[i] += s;
    result.probe_s += s;
  };

  auto record = [&](std::int64_t step) {
    const auto e0 = Clock::now();
    const double setup0 = setup_seconds();
    const auto point = evaluate(step, batcher.epoch(), lr, seconds_since(t0));
    eval_setup += setup_seconds() - setup0;
    eval_seconds += seconds_since(e0);
    result.history.push_back(point);
    if (std::isfinite(point.test_acc) && point.test_acc > result.best_test_acc) result.best_test_acc = point.test_acc;
    if (std::isfinite(point.val_acc) && (std::isnan(result.best_val_acc) || point.val_acc > result.best_val_acc)) result.best_val_acc = point.val_acc;
    const double target_acc = validation_ ? point.val_acc : point.test_acc;  // never the test set when avoidable
    if (!result.steps_to_target && config_.target_accuracy && target_acc >= *config_.target_accuracy)
      result.steps_to_target = step;
    for (std::size_t i = 0; i < observers_.size(); ++i) timed(i, [&] { observers_[i]->on_eval(point); });
  };

  for (std::int64_t step = 1; step <= total; ++step) {
    lr = lr_of(step);
    const auto s0 = Clock::now();
    const double setup0 = setup_seconds();
    batcher.next(input.data(), labels.data());
    const Tensor& logits = net_.forward(input, Mode::train);
    const double loss = loss_fn.forward(logits, labels.data());
    const bool diverged = !std::isfinite(loss) || loss > config_.divergence_loss;
    if (!diverged) net_.backward(loss_fn.backward());
    step_seconds += seconds_since(s0);
    step_setup += setup_seconds() - setup0;
    if (diverged) {
      result.status = "diverged";
      result.diverged_at_step = step;
      result.steps = step - 1;
      break;
    }
    StepContext ctx{step, total, lr, loss, net_, sgd, loss_fn, input, labels.data()};
    for (std::size_t i = 0; i < observers_.size(); ++i) timed(i, [&] { observers_[i]->after_backward(ctx); });
    const auto u0 = Clock::now();
    sgd.step(lr);
    step_seconds += seconds_since(u0);
    result.steps = step;
    for (std::size_t i = 0; i < observers_.size(); ++i) timed(i, [&] { observers_[i]->after_update(ctx); });
    if (step % config_.eval_every == 0 && step != total) record(step);
  }
  record(result.steps);
  result.final = result.history.back();
  result.wall_s = seconds_since(t0);
  result.ms_per_step = result.steps > 0 ? 1000.0 * step_seconds / static_cast<double>(result.steps) : 0.0;
  result.train_s = step_seconds - step_setup;
  result.eval_s = eval_seconds - eval_setup;
  result.setup_s = step_setup + eval_setup;
  return result;
}

}  // namespace bnlab
