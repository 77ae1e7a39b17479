#include <catch2/catch.hpp>

#include "core/float_env.hpp"

namespace {
// Through volatile so that the compiler cannot fold the products at compile time.
float product(float a, float b) {
  volatile float x = a, y = b;
  return x * y;
}
}  // namespace

TEST_CASE("FlushDenormals flushes denormal results to zero and restores the mode", "[core][float_env]") {
  const float tiny = 1e-30f, scale = 1e-10f;  // 1e-40 is below the smallest normal float (1.2e-38)
  REQUIRE(product(tiny, scale) != 0.0f);     // denormal by default
  {
    const bnlab::FlushDenormals guard;
#if defined(__SSE__) || defined(__x86_64__)
    CHECK(product(tiny, scale) == 0.0f);
#endif
    CHECK(product(1e-20f, 1e-10f) == Approx(1e-30f));  // normal values are untouched
  }
  CHECK(product(tiny, scale) != 0.0f);  // restored
}
