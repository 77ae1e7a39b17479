#include "layers/layer_check.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

namespace bnlab::test {

std::vector<float> random_normal(std::size_t n, std::uint64_t seed, double std) {
  Rng rng(seed);
  std::vector<float> out(n);
  for (auto& v : out) v = static_cast<float>(rng.normal(0.0, std));
  return out;
}

namespace {
double weighted_sum(const Tensor& t, const std::vector<float>& r) {
  const auto v = t.to_vector();
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += static_cast<double>(v[i]) * r[i];
  return sum;
}

// Compares analytic gradient `grad` of the values in `target` (row-major) with central
// differences of loss(), perturbing target through its from_vector.
double compare(const char* what, Tensor& target, const std::vector<float>& grad,
               const std::function<double()>& loss, const GradCheckOptions& opt) {
  auto values = target.to_vector();
  const std::size_t n = values.size();
  const std::size_t stride = std::max<std::size_t>(1, n / opt.max_checks);
  double worst = 0;
  for (std::size_t i = 0; i < n; i += stride) {
    const float saved = values[i];
    values[i] = static_cast<float>(saved + opt.eps);
    target.from_vector(values);
    const double plus = loss();
    values[i] = static_cast<float>(saved - opt.eps);
    target.from_vector(values);
    const double minus = loss();
    values[i] = saved;
    target.from_vector(values);
    const double numeric = (plus - minus) / (2 * opt.eps);
    const double analytic = grad[i];
    const double err = std::abs(analytic - numeric) / std::max({1.0, std::abs(analytic), std::abs(numeric)});
    worst = std::max(worst, err);
    if (err > opt.tol) {
      INFO(what << "[" << i << "]: analytic " << analytic << " numeric " << numeric);
      CHECK(err <= opt.tol);
    }
  }
  return worst;
}
}  // namespace

double check_layer_gradients(Layer& layer, const dnnl::memory::desc& src_desc, const GradCheckOptions& opt) {
  Rng rng(opt.seed);
  Tensor src(src_desc);
  const auto n = static_cast<std::size_t>(src.numel());
  src.from_vector(opt.make_src ? opt.make_src(n, rng) : random_normal(n, opt.seed));

  auto forward = [&]() -> const Tensor& {
    if (opt.before_forward) opt.before_forward();
    return layer.forward(src, Mode::train);
  };
  const Tensor& dst = forward();
  const auto r = random_normal(static_cast<std::size_t>(dst.numel()), opt.seed + 1);
  Tensor diff_dst(dst.desc());
  diff_dst.from_vector(r);
  const auto diff_src = layer.backward(diff_dst, true).to_vector();
  std::vector<std::vector<float>> param_grads;
  for (Param* p : layer.params()) param_grads.push_back(p->grad.to_vector());

  auto loss = [&] { return weighted_sum(forward(), r); };
  double worst = compare("diff_src", src, diff_src, loss, opt);
  auto params = layer.params();
  for (std::size_t k = 0; k < params.size(); ++k)
    worst = std::max(worst, compare(params[k]->name.c_str(), params[k]->value, param_grads[k], loss, opt));
  return worst;
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("index " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol));
  }
}

}  // namespace bnlab::test
