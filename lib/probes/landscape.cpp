#include "probes/landscape.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "probes/snapshot.hpp"

namespace bnlab {

namespace {
double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}
}  // namespace

std::vector<LandscapePoint> landscape_along_gradient(const std::vector<double>& w, const LossAndGrad& at_w,
                                                     double lr, const std::vector<double>& factors,
                                                     const LossAndGradFn& loss_and_grad) {
  const auto& g = at_w.grad;
  if (g.size() != w.size()) throw ShapeError("landscape: gradient and weights differ in size");
  std::vector<LandscapePoint> points;
  points.push_back({0.0, at_w.loss, 0.0, 0.0, std::numeric_limits<double>::quiet_NaN()});
  std::vector<double> w_f(w.size());
  for (const double f : factors) {
    for (std::size_t i = 0; i < w.size(); ++i) w_f[i] = w[i] - f * lr * g[i];
    const LossAndGrad at_f = loss_and_grad(w_f);
    if (at_f.grad.size() != w.size())
      throw ShapeError("landscape: loss_and_grad returned a gradient of another size");
    LandscapePoint p;
    p.factor = f;
    p.loss = at_f.loss;
    p.distance = distance(w_f, w);
    p.grad_change = distance(at_f.grad, g);
    p.grad_change_per_distance = p.distance > 0 ? p.grad_change / p.distance : std::numeric_limits<double>::quiet_NaN();
    points.push_back(p);
  }
  return points;
}

Landscape::Settings Landscape::read(SettingsReader& reader) {
  Settings s;
  s.factors = reader.numbers("factors", s.factors, 0, 1000,
                             "step sizes along the negative gradient, in multiples of the learning rate (> 0)");
  s.every = reader.integer("every", 50, 1, SettingsReader::kNoMax, "record at step 1 and every this many steps");
  for (std::size_t i = 0; i < s.factors.size(); ++i)
    if (s.factors[i] == 0) reader.problem("factors[" + std::to_string(i) + "]", "must be > 0 (f = 0 is always recorded)");
  return s;
}

LandscapeSummary landscape_summary(const ProbeTable& table) {
  // columns(): step, factor, loss, distance, grad_change, grad_change_per_distance; a step's rows
  // are consecutive (after_backward appends them together).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  double sum_var = 0, sum_change = 0, sum_beta = 0;
  std::size_t steps = 0, beta_steps = 0;
  for (std::size_t r = 0; r < table.rows.size();) {
    const double step = table.rows[r][0];
    const double inf = std::numeric_limits<double>::infinity();
    double lo = inf, hi = -inf, change = -inf, beta = -inf;
    for (; r < table.rows.size() && table.rows[r][0] == step; ++r) {
      const auto& row = table.rows[r];
      lo = std::min(lo, row[2]);
      hi = std::max(hi, row[2]);
      change = std::max(change, row[4]);
      if (std::isfinite(row[5])) beta = std::max(beta, row[5]);
    }
    if (step <= 1) continue;
    sum_var += hi - lo;
    sum_change += change;
    ++steps;
    if (std::isfinite(beta)) {
      sum_beta += beta;
      ++beta_steps;
    }
  }
  const auto mean = [nan](double sum, std::size_t n) { return n > 0 ? sum / static_cast<double>(n) : nan; };
  return {mean(sum_var, steps), mean(sum_change, steps), mean(sum_beta, beta_steps)};
}

std::vector<std::pair<std::string, double>> Landscape::results() const {
  const LandscapeSummary s = landscape_summary(table_);
  return {{"landscape_mean_loss_variation", s.mean_loss_variation},
          {"landscape_mean_grad_change", s.mean_grad_change},
          {"landscape_mean_beta", s.mean_beta}};
}

Landscape::Landscape(Network& net, Settings settings) : net_(net), settings_(std::move(settings)) {
  table_.columns = columns();
}

void Landscape::after_backward(StepContext& ctx) {
  if (ctx.step != 1 && ctx.step % settings_.every != 0) return;
  Sgd& sgd = ctx.optimizer;
  TrainingSnapshot snapshot(net_, sgd);

  auto read_flat = [&](bool grads) {
    std::vector<double> out;
    for (std::size_t k = 0; k < sgd.size(); ++k) {
      const Tensor& t = grads ? sgd.param(k).grad : sgd.param(k).value;
      const float* p = t.data();  // params are plain (Sgd checks)
      out.insert(out.end(), p, p + t.numel());
    }
    return out;
  };
  const std::vector<double> w = read_flat(false);
  auto loss_and_grad = [&](const std::vector<double>& at) {
    snapshot.restore();  // state and random stream as the trainer left them
    std::size_t i = 0;
    for (std::size_t k = 0; k < sgd.size(); ++k) {
      float* p = sgd.param(k).value.data();
      const std::int64_t n = sgd.param(k).value.numel();
      for (std::int64_t j = 0; j < n; ++j) p[j] = static_cast<float>(at[i++]);
    }
    LossAndGrad out;
    out.loss = training_pass(net_, loss_fn_, ctx.input, ctx.labels);
    out.grad = read_flat(true);
    return out;
  };
  // Without random layers the training pass already is the pass at w (same batch, same weights).
  const LossAndGrad at_w = has_random_layers(net_) ? loss_and_grad(w) : LossAndGrad{ctx.loss, read_flat(true)};
  const auto points = landscape_along_gradient(w, at_w, ctx.lr, settings_.factors, loss_and_grad);
  snapshot.restore();
  for (const auto& p : points)
    table_.rows.push_back({static_cast<double>(ctx.step), p.factor, p.loss, p.distance, p.grad_change,
                           p.grad_change_per_distance});
}

}  // namespace bnlab
