// The LSTM's gate nonlinearities as branch-free float code, so that the fused gate loops
// (lstm.cpp, `omp simd`) vectorize: std::exp and std::tanh are library calls that keep a loop
// scalar, and there they cost more than the matrix products (about 5 calls per hidden unit per
// sample per step).
//
// exp: Cody-Waite range reduction x = n·ln2 + r, |r| <= ln2/2, then e^r by the degree-6
// polynomial of Cephes' expf (relative error about 1e-7), times 2^n built in the exponent bits.
// Inputs are clamped to [-87, 88], where 2^n stays a normal float.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace bnlab::lstm_math {

// A non-negative element count or index as a vector size (the LSTM files' one conversion).
inline std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }

inline float exp_approx(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  // Round x·log2(e) to the nearest integer: adding and subtracting 1.5·2^23 drops the fraction
  // (the default round-to-nearest mode), which vectorizes where std::nearbyint may not.
  constexpr float kRound = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 = 0.693359375 - 2.12194440e-4
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

inline float sigmoid(float a) { return 1.0f / (1.0f + exp_approx(-a)); }

// tanh(a) = 2·sigmoid(2a) - 1: absolute error about 1e-7 (relative error grows only for |a| < 1e-3,
// where the value is that small).
inline float tanh(float a) { return 2.0f / (1.0f + exp_approx(-2.0f * a)) - 1.0f; }

}  // namespace bnlab::lstm_math
