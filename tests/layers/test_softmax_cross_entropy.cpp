// softmax cross-entropy: a hand-computed example, the gradient against finite differences,
// stability on large logits, argmax counting, and label / shape errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/layer_check.hpp"
#include "layers/softmax_cross_entropy.hpp"

using namespace bnlab;

TEST_CASE("softmax cross-entropy on a hand-computed example", "[layers][softmax_cross_entropy]") {
  // Row 0: logits (0, ln 2, ln 3) -> p = (1/6, 2/6, 3/6), label 2: -log(1/2) = ln 2, argmax hit.
  // Row 1: logits (0, 0, ln 2)    -> p = (1/4, 1/4, 1/2), label 0: -log(1/4) = ln 4, argmax miss.
  SoftmaxCrossEntropy loss;
  Tensor logits = Tensor::plain({2, 3});
  logits.from_vector({0.0f, std::log(2.0f), std::log(3.0f), 0.0f, 0.0f, std::log(2.0f)});
  const std::int32_t labels[] = {2, 0};
  CHECK(loss.forward(logits, labels) == Approx(1.5 * std::log(2.0)));
  CHECK(loss.correct() == 1);
  // dL/dz = (p - onehot) / N
  const std::vector<double> want = {1.0 / 12, 1.0 / 6, -1.0 / 4, -3.0 / 8, 1.0 / 8, 1.0 / 4};
  const auto got = loss.backward().to_vector();
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

TEST_CASE("softmax cross-entropy gradient matches finite differences", "[layers][softmax_cross_entropy][gradcheck]") {
  const std::int64_t n = 5, k = 7;
  SoftmaxCrossEntropy loss;
  Tensor logits = Tensor::plain({n, k});
  auto z = test::random_normal(n * k, 21, 2.0);
  logits.from_vector(z);
  const std::int32_t labels[] = {0, 6, 3, 3, 1};
  loss.forward(logits, labels);
  const auto grad = loss.backward().to_vector();
  const double eps = 1e-2;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const float saved = z[i];
    z[i] = static_cast<float>(saved + eps);
    logits.from_vector(z);
    const double plus = loss.forward(logits, labels);
    z[i] = static_cast<float>(saved - eps);
    logits.from_vector(z);
    const double minus = loss.forward(logits, labels);
    z[i] = saved;
    INFO("logit " << i);
    CHECK(grad[i] == Approx((plus - minus) / (2 * eps)).margin(2e-4));
  }
}

TEST_CASE("softmax cross-entropy is stable on large logits", "[layers][softmax_cross_entropy]") {
  SoftmaxCrossEntropy loss;
  Tensor logits = Tensor::plain({2, 2});
  logits.from_vector({1000.0f, 0.0f, 1000.0f, 0.0f});
  const std::int32_t labels[] = {0, 1};
  const double l = loss.forward(logits, labels);
  CHECK(std::isfinite(l));
  CHECK(l == Approx(500.0));  // (0 + 1000) / 2
  CHECK(loss.correct() == 1);
  for (float g : loss.backward().to_vector()) CHECK(std::isfinite(g));
}

TEST_CASE("softmax cross-entropy rejects labels outside 0..K-1 and non-2-D logits", "[layers][softmax_cross_entropy]") {
  SoftmaxCrossEntropy loss;
  CHECK_THROWS_AS(loss.backward(), Error);
  Tensor logits = Tensor::plain({2, 3});
  const std::int32_t too_big[] = {0, 3};
  const std::int32_t negative[] = {-1, 0};
  CHECK_THROWS_AS(loss.forward(logits, too_big), ShapeError);
  CHECK_THROWS_WITH(loss.forward(logits, too_big), Catch::Contains("label 3") && Catch::Contains("sample 1"));
  CHECK_THROWS_WITH(loss.forward(logits, negative), Catch::Contains("label -1"));
  Tensor four_d = Tensor::plain({2, 3, 1, 1});
  const std::int32_t ok[] = {0, 1};
  CHECK_THROWS_AS(loss.forward(four_d, ok), ShapeError);
}

TEST_CASE("softmax cross-entropy builds its primitive once per shape", "[layers][softmax_cross_entropy]") {
  SoftmaxCrossEntropy loss;
  Tensor logits = Tensor::plain({4, 10});
  const std::int32_t labels[] = {1, 2, 3, 4};
  loss.forward(logits, labels);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    loss.forward(logits, labels);
    loss.backward();
  }
  CHECK(primitive_creations() == before);
  CHECK(loss.forward(logits, labels) == Approx(std::log(10.0)));  // uniform over 10 classes
}
