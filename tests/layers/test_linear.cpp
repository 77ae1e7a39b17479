// linear: forward against a naive loop, and finite-difference gradients.
#include <catch2/catch.hpp>

#include "layers/layer_check.hpp"
#include "layers/linear.hpp"
#include "core/errors.hpp"

using namespace bnlab;

TEST_CASE("linear forward matches a naive loop", "[layers][linear]") {
  const std::int64_t n = 3, in = 5, out = 4;
  Linear layer(in, out, /*bias=*/true);
  const auto w = test::random_normal(out * in, 11);
  const auto b = test::random_normal(out, 12);
  const auto x = test::random_normal(n * in, 13);
  layer.weight().value.from_vector(w);
  layer.bias()->value.from_vector(b);
  Tensor src = Tensor::plain({n, in});
  src.from_vector(x);

  for (Mode mode : {Mode::train, Mode::eval}) {
    const auto y = layer.forward(src, mode).to_vector();
    REQUIRE(y.size() == static_cast<std::size_t>(n * out));
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t o = 0; o < out; ++o) {
        double ref = b[o];
        for (std::int64_t k = 0; k < in; ++k) ref += static_cast<double>(x[i * in + k]) * w[o * in + k];
        CHECK(y[i * out + o] == Approx(ref).margin(1e-5));
      }
  }
}

TEST_CASE("linear gradients match finite differences", "[layers][linear][gradcheck]") {
  for (auto [n, in, out, bias] : {std::tuple{2L, 7L, 3L, true}, {5L, 4L, 6L, false}, {16L, 20L, 10L, true}}) {
    INFO("n=" << n << " in=" << in << " out=" << out << " bias=" << bias);
    Linear layer(in, out, bias);
    layer.weight().value.from_vector(test::random_normal(out * in, 3, 0.5));
    test::check_layer_gradients(layer, plain_desc({n, in}));
  }
}

TEST_CASE("linear without bias has only a weight parameter", "[layers][linear]") {
  Linear layer(3, 2, false);
  REQUIRE(layer.params().size() == 1);
  CHECK(layer.params()[0]->name == "weight");
  CHECK(layer.bias() == nullptr);
}

TEST_CASE("linear rejects an input of the wrong width", "[layers][linear]") {
  Linear layer(3, 2, true);
  Tensor src = Tensor::plain({4, 5});
  CHECK_THROWS_AS(layer.forward(src, Mode::train), ShapeError);
}
