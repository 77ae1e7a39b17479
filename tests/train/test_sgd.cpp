// SGD with momentum and weight decay against PyTorch's update rule, written out by hand.
#include <catch2/catch.hpp>

#include "train/sgd.hpp"

using namespace bnlab;

TEST_CASE("sgd follows torch.optim.SGD", "[train][sgd]") {
  Param p{"weight", Tensor::plain({2}), Tensor::plain({2}), true};
  p.value.from_vector({1.0f, -2.0f});
  Sgd sgd({&p}, /*momentum=*/0.9, /*weight_decay=*/0.1);
  // step 1: g = grad + 0.1 w = (0.5+0.1, 1-0.2) = (0.6, 0.8); v = g; w -= 0.5 v
  p.grad.from_vector({0.5f, 1.0f});
  sgd.step(0.5);
  auto w = p.value.to_vector();
  CHECK(w[0] == Approx(1.0 - 0.3));
  CHECK(w[1] == Approx(-2.0 - 0.4));
  // step 2: g = (0.5 + 0.07, 1 - 0.24) = (0.57, 0.76); v = 0.9 (0.6, 0.8) + g = (1.11, 1.48)
  sgd.step(0.5);
  w = p.value.to_vector();
  CHECK(w[0] == Approx(0.7 - 0.555));
  CHECK(w[1] == Approx(-2.4 - 0.74));
}
