// Test helpers shared by the layer tests: seeded random tensors and a finite-difference gradient
// check of any Layer (input and parameter gradients).
#pragma once

#include <functional>
#include <vector>

#include "core/random.hpp"
#include "layers/layer.hpp"

namespace bnlab::test {

std::vector<float> random_normal(std::size_t n, std::uint64_t seed, double std = 1.0);

// An f32 (N, C, H, W) descriptor in layout t.
inline dnnl::memory::desc desc4(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                                dnnl::memory::format_tag t = dnnl::memory::format_tag::nchw) {
  return dnnl::memory::desc({n, c, h, w}, dnnl::memory::data_type::f32, t);
}

// CHECKs got[i] against want[i] within an absolute tol, element by element (the index in the
// failure message); the sizes must match.
void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol);

struct GradCheckOptions {
  double eps = 1e-2;        // central-difference step
  double tol = 2e-2;        // |analytic - numeric| <= tol * max(1, |analytic|, |numeric|)
  std::size_t max_checks = 120;  // elements checked per tensor (spread over the tensor)
  std::uint64_t seed = 1;
  // Generates src in row-major order (default: standard normal). Use to keep ReLU/maxpool
  // inputs away from their kinks.
  std::function<std::vector<float>(std::size_t n, Rng& rng)> make_src;
  // Called before every forward (e.g. to re-seed dropout so every evaluation uses one mask).
  std::function<void()> before_forward;
};

// Runs forward(train) on a random src of src_desc, backward with random diff_dst, and compares
// diff_src and every param grad with central differences of L = Σ dst·r. Records failures with
// Catch2 CHECKs; returns the largest relative error seen.
double check_layer_gradients(Layer& layer, const dnnl::memory::desc& src_desc,
                             const GradCheckOptions& options = {});

}  // namespace bnlab::test
