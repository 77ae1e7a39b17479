// One LSTM layer (Hochreiter & Schmidhuber 1997, with a forget gate) over a time-major sequence,
// with the normalization variants bnlab compares (lstm_norm.hpp):
//
//   a_t = Nx(W_x·x_t) + Nh(W_h·h_{t-1}) + b                  (4H: gates i, f, g, o in that order)
//   i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g)
//   c_t = f ⊙ c_{t-1} + i ⊙ g
//   h_t = o ⊙ tanh(Nc(c_t))                                   h_{-1} = c_{-1} = 0
//
//   plain        Nx = Nh = Nc = identity
//   batch_input  Nx = BN with statistics over all T·N rows of the sequence; Nh = Nc = identity
//                (Laurent et al. 2016: BN on the input-to-hidden path only)
//   batch        Nx, Nh, Nc = BN with statistics and running averages per time step, gamma = 0.1,
//                beta only on Nc (Cooijmans et al. 2017, BN-LSTM)
//   layer        Nx, Nh, Nc = LN over each sample's 4H (gates) or H (cell) values, gain 1, beta only
//                on Nc (Ba et al. 2016, LN-LSTM; their betas on Nx and Nh add to b and are dropped)
//
//   src   (T, N, D) plain, time-major          dst (N, H): h_{T-1}, or (T, N, H) with return_sequence
//   W_x   "weight_ih" (4H, D)   W_h "weight_hh" (4H, H)   b "bias" (4H)
//
// On oneDNN: all T input projections are one inner product over T·N rows; the hidden product is
// one inner product of N rows per step; the gates, the cell update and the norms are fused loops
// here. Backward through time runs the steps in reverse with one backward-data product per step,
// then dW_h, dW_x and dx as one product each over all T·N rows. Primitives and buffers are built
// once per (T, N) and per mode; nothing is allocated in a steady-state step.
//
// Init (the layer does it, from `seed`; init.scheme does not touch it): W ~ U(-1/sqrt(H), 1/sqrt(H))
// as torch.nn.LSTM, b = 0 except the forget gate's 1 (Jozefowicz et al. 2015; Cooijmans et al.).
#pragma once

#include <cstdint>
#include <memory>

#include "layers/layer.hpp"
#include "layers/lstm_norm.hpp"

namespace bnlab {

enum class LstmVariant { plain, batch_input, batch, layer };

struct LstmOptions {
  std::int64_t input = 1;           // D: values per time step
  std::int64_t hidden = 1;          // H
  std::int64_t steps = 1;           // T of training: BN-LSTM keeps running statistics for this many steps
  LstmVariant variant = LstmVariant::plain;
  bool return_sequence = false;     // dst = every h_t (T, N, H) (a layer under another LSTM layer)
  double eps = 1e-5;
  double momentum = 0.1;
  double batch_gamma_init = 0.1;    // BN-LSTM's gamma at init (Cooijmans et al.)
  std::uint64_t seed = 1;
};

class Lstm : public Layer {
 public:
  explicit Lstm(const LstmOptions& options, Context& ctx = default_context());
  ~Lstm() override;  // out of line: Plan is complete only in lstm.cpp

  std::string kind() const override { return "lstm"; }
  const Tensor& forward(const Tensor& src, Mode mode) override;
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override;
  std::vector<Param*> params() override;
  std::vector<Buffer> buffers() override;
  bool is_norm() const override { return false; }

  const LstmOptions& options() const { return options_; }
  LstmNorm& input_norm() { return norm_x_; }
  LstmNorm& hidden_norm() { return norm_h_; }
  LstmNorm& cell_norm() { return norm_c_; }

 private:
  struct Plan;
  void build(Plan& plan, const dnnl::memory::desc& src_md, Mode mode);
  void step_forward(Plan& plan, std::int64_t t, Mode mode);
  void step_backward(std::int64_t t, const float* diff_dst);

  LstmOptions options_;
  Param w_x_, w_h_, bias_;
  LstmNorm norm_x_, norm_h_, norm_c_;
  std::unique_ptr<Plan> train_, eval_;
};

}  // namespace bnlab
