// The LSTM layer (layers/lstm.hpp) and its normalization variants: forward and backward through
// time against a naive double-precision reference, finite-difference gradient checks, BN-LSTM's
// per-step statistics by hand, evaluation past the training length.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/layer_check.hpp"
#include "layers/lstm.hpp"
#include "layers/lstm_reference.hpp"

using namespace bnlab;

namespace {

const char* name_of(LstmVariant v) {
  switch (v) {
    case LstmVariant::plain: return "plain";
    case LstmVariant::batch_input: return "batch_input";
    case LstmVariant::batch: return "batch";
    case LstmVariant::layer: return "layer";
  }
  return "?";
}

constexpr LstmVariant kVariants[] = {LstmVariant::plain, LstmVariant::batch_input, LstmVariant::batch,
                                     LstmVariant::layer};

LstmOptions small_lstm(LstmVariant v, std::int64_t steps, bool sequence) {
  LstmOptions o;
  o.input = 3;
  o.hidden = 2;
  o.steps = steps;
  o.variant = v;
  o.return_sequence = sequence;
  o.seed = 7;
  return o;
}

// Gives every param of the layer random values (gammas around 1 so no site is nearly switched
// off) and copies them into the reference, in params() order.
void randomize_with_reference(Lstm& layer, test::LstmReference& ref, std::uint64_t seed) {
  auto layer_params = layer.params();
  auto ref_params = ref.params();
  REQUIRE(layer_params.size() == ref_params.size());
  for (std::size_t k = 0; k < layer_params.size(); ++k) {
    const bool gamma = layer_params[k]->name.rfind("gamma", 0) == 0;
    auto v = test::random_normal(static_cast<std::size_t>(layer_params[k]->value.numel()), seed + k, 0.5);
    if (gamma) for (auto& x : v) x = 1.0f + 0.3f * x;
    layer_params[k]->value.from_vector(v);
    ref_params[k]->assign(v.begin(), v.end());
  }
}

}  // namespace

TEST_CASE("lstm forward and backward through time match a naive double-precision reference", "[layers][lstm]") {
  for (const auto variant : kVariants)
    for (const std::int64_t batch : {2, 3}) {
      INFO(name_of(variant) << ", batch " << batch);
      const std::int64_t t_len = 4;
      Lstm layer(small_lstm(variant, t_len, true));
      test::LstmReference ref{t_len, batch, 3, 2, variant, 1e-5, {}, {}, {}, {}, {}, {}, {}};
      randomize_with_reference(layer, ref, 11);
      const auto x = test::random_normal(static_cast<std::size_t>(t_len * batch * 3), 5);
      Tensor src = Tensor::plain({t_len, batch, 3});
      src.from_vector(x);
      const std::vector<double> xd(x.begin(), x.end());
      test::check_close(layer.forward(src, Mode::train).to_vector(), ref.forward(xd), 1e-5);

      // L = Σ h_t·r_t: the layer's gradients against central differences of the double forward.
      const auto r = test::random_normal(static_cast<std::size_t>(t_len * batch * 2), 9);
      Tensor diff_dst = Tensor::plain({t_len, batch, 2});
      diff_dst.from_vector(r);
      const auto diff_src = layer.backward(diff_dst).to_vector();
      auto loss = [&](const std::vector<double>& input) {
        const auto hs = ref.forward(input);
        double sum = 0;
        for (std::size_t k = 0; k < hs.size(); ++k) sum += hs[k] * r[k];
        return sum;
      };
      auto numeric = [&](std::vector<double>& target, const std::vector<double>& input) {
        std::vector<double> grad(target.size());
        for (std::size_t k = 0; k < target.size(); ++k) {
          const double keep = target[k], step = 1e-6;
          target[k] = keep + step;
          const double up = loss(input);
          target[k] = keep - step;
          grad[k] = (up - loss(input)) / (2 * step);
          target[k] = keep;
        }
        return grad;
      };
      auto input = xd;
      test::check_close(diff_src, numeric(input, input), 2e-4);
      auto layer_params = layer.params();
      auto ref_params = ref.params();
      for (std::size_t k = 0; k < layer_params.size(); ++k) {
        INFO(layer_params[k]->name);
        test::check_close(layer_params[k]->grad.to_vector(), numeric(*ref_params[k], xd), 2e-4);
      }
    }
}

TEST_CASE("lstm gradients through time pass a finite-difference check for every variant", "[layers][lstm]") {
  for (const auto variant : kVariants)
    for (const bool sequence : {false, true})
      for (const std::int64_t batch : {2, 4}) {
        INFO(name_of(variant) << ", batch " << batch << (sequence ? ", every h_t" : ", last h"));
        Lstm layer(small_lstm(variant, 3, sequence));
        // A small step: layer norm of W_h·h_{t-1} at the first steps, where h is still small, is
        // curved enough that the default step of 1e-2 misjudges gamma_hh's gradient.
        test::GradCheckOptions options;
        options.eps = 1e-3;
        const double worst = test::check_layer_gradients(layer, plain_desc({3, batch, 3}), options);
        CHECK(worst < 2e-2);
      }
}

TEST_CASE("BN-LSTM keeps statistics per time step, as computed by hand", "[layers][lstm]") {
  // D = H = 1, N = 2, W_x = 2, W_h = 0.5: step t's input-path values are 2·x_t, so its batch mean
  // and unbiased variance are known; momentum 1 makes the running statistics exactly the batch's.
  LstmOptions o;
  o.input = 1;
  o.hidden = 1;
  o.steps = 2;
  o.variant = LstmVariant::batch;
  o.momentum = 1.0;
  Lstm layer(o);
  layer.params()[0]->value.from_vector({2, 2, 2, 2});
  layer.params()[1]->value.from_vector({0.5f, 0.5f, 0.5f, 0.5f});
  CHECK(layer.params()[3]->value.to_vector() == std::vector<float>(4, 0.1f));  // gamma_ih at 0.1
  Tensor src = Tensor::plain({2, 2, 1});
  src.from_vector({1, 3, -1, 5});  // t = 0: (1, 3); t = 1: (-1, 5)
  layer.forward(src, Mode::train);
  // t = 0: 2·(1, 3) = (2, 6): mean 4, unbiased variance ((2-4)² + (6-4)²)/1 = 8.
  test::check_close(layer.input_norm().running_mean(0), std::vector<double>(4, 4.0), 1e-5);
  test::check_close(layer.input_norm().running_var(0), std::vector<double>(4, 8.0), 1e-4);
  // t = 1: 2·(-1, 5) = (-2, 10): mean 4, unbiased variance 36 + 36 = 72.
  test::check_close(layer.input_norm().running_mean(1), std::vector<double>(4, 4.0), 1e-5);
  test::check_close(layer.input_norm().running_var(1), std::vector<double>(4, 72.0), 1e-3);
  // The hidden path sees h_{-1} = 0 at t = 0: mean 0, variance 0. At t = 1 it sees 0.5·h_0, which
  // differs between the two samples: statistics of its own.
  test::check_close(layer.hidden_norm().running_var(0), std::vector<double>(4, 0.0), 1e-7);
  CHECK(layer.hidden_norm().running_var(1)[0] > 1e-6);
}

TEST_CASE("BN-LSTM evaluates past its training length with the last step's statistics", "[layers][lstm]") {
  Lstm layer(small_lstm(LstmVariant::batch, 3, true));
  Tensor train = Tensor::plain({3, 4, 3});
  train.from_vector(test::random_normal(36, 3));
  layer.forward(train, Mode::train);
  // Evaluation of 5 steps: steps 3 and 4 reuse step 2's running statistics; the first 3 steps are
  // what an evaluation of 3 steps gives.
  Tensor longer = Tensor::plain({5, 4, 3});
  auto values = test::random_normal(60, 4);
  longer.from_vector(values);
  const auto h5 = layer.forward(longer, Mode::eval).to_vector();
  Tensor shorter = Tensor::plain({3, 4, 3});
  shorter.from_vector({values.begin(), values.begin() + 36});
  const auto h3 = layer.forward(shorter, Mode::eval).to_vector();
  test::check_close({h5.begin(), h5.begin() + 24}, std::vector<double>(h3.begin(), h3.end()), 1e-6);
  for (float v : h5) CHECK(std::isfinite(v));
  // Training on a longer sequence than the statistics were kept for is refused.
  CHECK_THROWS_AS(layer.forward(longer, Mode::train), ShapeError);
}

TEST_CASE("lstm refuses a wrong input and a backward before a training forward", "[layers][lstm]") {
  Lstm layer(small_lstm(LstmVariant::plain, 3, false));
  Tensor grad = Tensor::plain({2, 2});
  CHECK_THROWS_AS(layer.backward(grad), Error);
  CHECK_THROWS_AS(layer.forward(Tensor::plain({3, 2, 4}), Mode::train), ShapeError);  // D = 4, not 3
  CHECK_THROWS_AS(layer.forward(Tensor::plain({6, 3}), Mode::train), ShapeError);     // not (T, N, D)
  CHECK_THROWS_AS(Lstm(small_lstm(LstmVariant::plain, 0, false)), ShapeError);
}

TEST_CASE("lstm: the same seed gives the same numbers, another seed others", "[layers][lstm]") {
  Tensor src = Tensor::plain({3, 2, 3});
  src.from_vector(test::random_normal(18, 2));
  auto run = [&](std::uint64_t seed) {
    auto o = small_lstm(LstmVariant::batch, 3, false);
    o.seed = seed;
    Lstm layer(o);
    return layer.forward(src, Mode::train).to_vector();
  };
  CHECK(run(3) == run(3));
  CHECK(run(3) != run(4));
}

TEST_CASE("lstm builds no primitive for a repeated shape and rebuilds for a new batch", "[layers][lstm][perf]") {
  Lstm layer(small_lstm(LstmVariant::batch, 3, false));
  Tensor src = Tensor::plain({3, 2, 3}), grad = Tensor::plain({2, 2});
  layer.forward(src, Mode::train);
  layer.backward(grad);
  const auto before = primitive_creations();
  layer.forward(src, Mode::train);
  layer.backward(grad);
  CHECK(primitive_creations() == before);
  layer.forward(Tensor::plain({3, 5, 3}), Mode::train);
  CHECK(primitive_creations() > before);
}
