// Images read as sequences (layers/image_sequence.hpp): row by row, pixel by pixel, and in a fixed
// seeded permutation; backward is the inverse scatter.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "core/errors.hpp"
#include "layers/image_sequence.hpp"

using namespace bnlab;

TEST_CASE("image_sequence reads rows as time steps, time-major", "[layers][lstm]") {
  ImageSequence rows(ImageSequenceOptions{2, 3, std::nullopt});
  Tensor src = Tensor::plain({2, 1, 2, 3});  // two 2x3 images
  src.from_vector({0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15});
  // (T = 2, N = 2, D = 3): step 0 is each image's first row.
  CHECK(rows.forward(src, Mode::train).to_vector() == std::vector<float>{0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15});
  Tensor grad = Tensor::plain({2, 2, 3});
  grad.from_vector({0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15});
  CHECK(rows.backward(grad).to_vector() == src.to_vector());
}

TEST_CASE("image_sequence permutes pixels by a fixed seed, the same every time", "[layers][lstm]") {
  ImageSequence a(ImageSequenceOptions{784, 1, 3}), b(ImageSequenceOptions{784, 1, 3}), c(ImageSequenceOptions{784, 1, 4});
  CHECK(a.order() == b.order());
  CHECK(a.order() != c.order());
  auto sorted = a.order();
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(784);
  std::iota(identity.begin(), identity.end(), std::int64_t{0});
  CHECK(sorted == identity);    // a permutation: every pixel once
  CHECK(a.order() != identity);
  Tensor src = Tensor::plain({2, 784});
  std::vector<float> values(2 * 784);
  std::iota(values.begin(), values.end(), 0.0f);
  src.from_vector(values);
  const auto seq = a.forward(src, Mode::train).to_vector();  // (784, 2, 1)
  CHECK(seq[0] == static_cast<float>(a.order()[0]));
  CHECK(seq[1] == static_cast<float>(784 + a.order()[0]));
  Tensor grad = Tensor::plain({784, 2, 1});
  grad.from_vector(seq);
  CHECK(a.backward(grad).to_vector() == values);
}

TEST_CASE("image_sequence refuses an input of another size", "[layers][lstm]") {
  ImageSequence rows(ImageSequenceOptions{28, 28, std::nullopt});
  CHECK_THROWS_AS(rows.forward(Tensor::plain({2, 100}), Mode::train), ShapeError);
  CHECK_THROWS_AS(rows.backward(Tensor::plain({28, 2, 28})), Error);
  CHECK_THROWS_AS(ImageSequence(ImageSequenceOptions{0, 28, std::nullopt}), ShapeError);
}
