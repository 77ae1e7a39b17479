// One normalization site inside an LSTM cell (lstm.hpp): the input-to-hidden pre-activations
// W_x·x_t (width 4H), the hidden-to-hidden ones W_h·h_{t-1} (4H), or the cell c_t (H).
//
//   batch_per_step  (Cooijmans et al. 2017, "Recurrent Batch Normalization"): mean and biased
//                   variance of each column over the N rows of one time step;
//                   y = gamma·(x - mu_t)/sqrt(var_t + eps) + beta. Running mean/var are kept per
//                   step t (momentum and the unbiased m/(m-1) variance as BatchNorm, DESIGN.md).
//                   Evaluation uses step t's running statistics; a step past the longest training
//                   length (t >= steps) uses those of the last trained step, steps - 1, as
//                   Cooijmans et al. do for longer test sequences.
//   batch_over_steps (Laurent et al. 2016): statistics of each column over all T·N rows of the
//                   sequence at once (one call with rows = T·N); one running mean/var.
//   layer           (Ba et al. 2016): mean and variance of each row over its columns; no running
//                   statistics, so training and evaluation compute the same thing.
//
// gamma is shared by all time steps (only the statistics are per step); beta is optional (the
// gate sites have none: the cell's bias b follows them). Backward, per column (batch) or row
// (layer) with m values:  dxhat = gamma·dy;  dx = rstd·(dxhat - mean(dxhat) - xhat·mean(dxhat·xhat));
// dgamma += Σ dy·xhat;  dbeta += Σ dy  (accumulated: the LSTM zeroes the grads once per backward).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace bnlab {

enum class LstmNormKind { none, batch_per_step, batch_over_steps, layer };

struct LstmNormOptions {
  LstmNormKind kind = LstmNormKind::none;
  std::int64_t width = 1;       // columns (4H for the gate sites, H for the cell)
  std::int64_t steps = 1;       // batch_per_step: time steps with their own running statistics
  bool beta = false;            // learn a shift beta (the cell site)
  double gamma_init = 1.0;      // Cooijmans et al.: 0.1 for BN-LSTM (keeps tanh/sigmoid unsaturated)
  double eps = 1e-5;
  double momentum = 0.1;        // PyTorch's meaning
};

class LstmNorm {
 public:
  LstmNorm(std::string name, const LstmNormOptions& options, Context& ctx = default_context());

  bool active() const { return options_.kind != LstmNormKind::none; }
  LstmNormKind kind() const { return options_.kind; }

  // Sizes the training save buffers for `slots` calls of `rows` rows (once per new shape).
  void reserve(std::int64_t slots, std::int64_t rows);
  // x (rows, width) -> y (may alias x). step: which running statistics (batch_per_step); slot:
  // where a training forward keeps xhat and rstd for backward (< the reserved slots).
  void forward(const float* x, float* y, std::int64_t rows, std::int64_t step, std::int64_t slot, Mode mode);
  // dy (rows, width) -> dx (may alias dy), from what the training forward kept in `slot`.
  void backward(const float* dy, float* dx, std::int64_t rows, std::int64_t slot);

  std::vector<Param*> params();
  std::vector<Buffer> buffers();
  void zero_grads();
  // Running statistics of step t (batch kinds), for tests: (width) each.
  std::vector<float> running_mean(std::int64_t step) const;
  std::vector<float> running_var(std::int64_t step) const;

 private:
  void batch_forward(const float* x, float* y, std::int64_t rows, std::int64_t stats, std::int64_t slot, Mode mode);
  void layer_forward(const float* x, float* y, std::int64_t rows, std::int64_t slot, Mode mode);

  std::string name_;
  LstmNormOptions options_;
  Param gamma_;                 // (width)
  Param beta_;                  // (width), when options_.beta
  Tensor running_mean_;         // (stat steps, width)
  Tensor running_var_;          // (stat steps, width)
  std::int64_t rows_ = 0;       // rows per slot of the save buffers
  std::vector<float> xhat_;     // (slots, rows, width)  normalized input of each training call
  std::vector<float> rstd_;     // (slots, width) batch kinds, (slots, rows) layer
  std::vector<double> sum_, sum2_;  // (width) scratch for the column statistics
};

}  // namespace bnlab
