// A naive double-precision LSTM with the four normalization variants of layers/lstm.hpp, written
// from the papers' formulas with plain loops: the reference the oneDNN layer is checked against
// (forward directly; backward through central differences of this double forward).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "layers/lstm.hpp"

namespace bnlab::test {

struct LstmReference {
  std::int64_t steps, batch, input, hidden;
  LstmVariant variant;
  double eps = 1e-5;
  std::vector<double> w_x, w_h, b;  // (4H, D), (4H, H), (4H)
  std::vector<double> gamma_x, gamma_h, gamma_c, beta_c;  // (4H), (4H), (H), (H) when normalized

  using Matrix = std::vector<double>;  // row-major (rows, cols)

  // Normalizes a (rows, cols) matrix: over the rows per column (batch) or over the columns per row.
  Matrix normalize(const Matrix& x, std::int64_t rows, std::int64_t cols, bool over_rows, const std::vector<double>& gamma,
                   const std::vector<double>* beta) const {
    Matrix y(x.size());
    const auto groups = over_rows ? cols : rows, count = over_rows ? rows : cols;
    for (std::int64_t g = 0; g < groups; ++g) {
      auto at = [&](std::int64_t k) { return over_rows ? k * cols + g : g * cols + k; };
      double mean = 0, var = 0;
      for (std::int64_t k = 0; k < count; ++k) mean += x[at(k)];
      mean /= static_cast<double>(count);
      for (std::int64_t k = 0; k < count; ++k) var += (x[at(k)] - mean) * (x[at(k)] - mean);
      var /= static_cast<double>(count);
      for (std::int64_t k = 0; k < count; ++k) {
        const auto col = at(k) % cols;
        y[at(k)] = gamma[col] * (x[at(k)] - mean) / std::sqrt(var + eps) + (beta ? (*beta)[col] : 0.0);
      }
    }
    return y;
  }

  // x: (T, N, D). Returns h_t for every step, (T, N, H).
  Matrix forward(const Matrix& x) const {
    const auto t_len = steps, n = batch, d = input, h = hidden, h4 = 4 * hidden;
    const bool batch_steps = variant == LstmVariant::batch, layer = variant == LstmVariant::layer;
    Matrix zx(t_len * n * h4, 0.0);
    for (std::int64_t r = 0; r < t_len * n; ++r)
      for (std::int64_t o = 0; o < h4; ++o)
        for (std::int64_t k = 0; k < d; ++k) zx[r * h4 + o] += w_x[o * d + k] * x[r * d + k];
    if (variant == LstmVariant::batch_input) zx = normalize(zx, t_len * n, h4, true, gamma_x, nullptr);
    if (layer) zx = normalize(zx, t_len * n, h4, false, gamma_x, nullptr);
    Matrix hs(t_len * n * h, 0.0), h_prev(n * h, 0.0), c(n * h, 0.0);
    for (std::int64_t t = 0; t < t_len; ++t) {
      Matrix ax(zx.begin() + t * n * h4, zx.begin() + (t + 1) * n * h4), ah(n * h4, 0.0);
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t o = 0; o < h4; ++o)
          for (std::int64_t k = 0; k < h; ++k) ah[r * h4 + o] += w_h[o * h + k] * h_prev[r * h + k];
      if (batch_steps) {
        ax = normalize(ax, n, h4, true, gamma_x, nullptr);
        ah = normalize(ah, n, h4, true, gamma_h, nullptr);
      }
      if (layer) ah = normalize(ah, n, h4, false, gamma_h, nullptr);
      auto sig = [](double a) { return 1 / (1 + std::exp(-a)); };
      Matrix o_gate(n * h);
      for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t j = 0; j < h; ++j) {
          auto a = [&](int gate) { return ax[r * h4 + gate * h + j] + ah[r * h4 + gate * h + j] + b[gate * h + j]; };
          c[r * h + j] = sig(a(1)) * c[r * h + j] + sig(a(0)) * std::tanh(a(2));
          o_gate[r * h + j] = sig(a(3));
        }
      Matrix cn = c;
      if (batch_steps) cn = normalize(c, n, h, true, gamma_c, &beta_c);
      if (layer) cn = normalize(c, n, h, false, gamma_c, &beta_c);
      for (std::int64_t k = 0; k < n * h; ++k) {
        h_prev[k] = o_gate[k] * std::tanh(cn[k]);
        hs[t * n * h + k] = h_prev[k];
      }
    }
    return hs;
  }

  // The parameters in the order Lstm::params() lists them.
  std::vector<std::vector<double>*> params() {
    std::vector<std::vector<double>*> out{&w_x, &w_h, &b};
    if (variant != LstmVariant::plain) out.push_back(&gamma_x);
    if (variant == LstmVariant::batch || variant == LstmVariant::layer)
      for (auto* p : {&gamma_h, &gamma_c, &beta_c}) out.push_back(p);
    return out;
  }
};

}  // namespace bnlab::test
