// group_norm_kernel: ReLU fused into group norm gives the numbers of group norm followed by a
// separate ReLU layer (forward and backward, every layout the kernel reads), its gradients match
// finite differences, and group norm, layer norm and max pooling give identical results on one
// and on two OpenMP threads.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/runtime.hpp"
#include "layers/eltwise.hpp"
#include "layers/group_norm.hpp"
#include "layers/group_norm_kernel.hpp"
#include "layers/layer_check.hpp"
#include "layers/layer_norm.hpp"
#include "layers/max_pool.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {

// Group norm with ReLU fused, as a Layer so the finite-difference check can drive it.
class FusedGroupNormRelu : public Layer {
 public:
  FusedGroupNormRelu(std::int64_t channels, std::int64_t group_size)
      : Layer(default_context()),
        gamma_{"gamma", Tensor::plain({channels}), Tensor::plain({channels}), false},
        beta_{"beta", Tensor::plain({channels}), Tensor::plain({channels}), false},
        kernel_("group_norm", channels, group_size, 1e-5) {}
  std::string kind() const override { return "group_norm_relu"; }
  const Tensor& forward(const Tensor& src, Mode mode) override {
    return kernel_.forward(src, mode, gamma_.value, beta_.value, true);
  }
  const Tensor& backward(const Tensor& diff_dst, bool need_diff_src = true) override {
    return kernel_.backward(diff_dst, need_diff_src, gamma_.value, gamma_.grad, beta_.grad);
  }
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  Param gamma_, beta_;

 private:
  GroupNormKernel kernel_;
};

Tensor random_tensor(const dnnl::memory::desc& md, std::uint64_t seed, double std = 1.0) {
  Tensor t(md);
  t.from_vector(test::random_normal(static_cast<std::size_t>(t.numel()), seed, std));
  return t;
}

// Sets the OpenMP thread count for a scope (unit tests run with OMP_NUM_THREADS=1).
struct ThreadsFor {
  explicit ThreadsFor(int threads) : before(num_threads()) { set_num_threads(threads); }
  ~ThreadsFor() { set_num_threads(before); }
  int before;
};

struct Outputs {
  std::vector<float> y, dx, dgamma, dbeta;
};

}  // namespace

TEST_CASE("group norm with ReLU fused gives the numbers of group norm then ReLU", "[layers][group_norm][fused]") {
  for (const auto& [md, group_size] : std::vector<std::pair<dnnl::memory::desc, std::int64_t>>{
           {plain_desc({6, 8}), 2},
           {desc4(3, 8, 5, 5, tag::nchw), 4},
           {desc4(2, 12, 3, 3, tag::nhwc), 3},
           {desc4(2, 16, 3, 2, tag::nChw8c), 2},
           {desc4(4, 20, 4, 4, tag::nChw16c), 5},
           {desc4(2, 8, 3, 3, tag::nChw4c), 2}}) {  // reordered to nchw and back
    INFO(to_string(md.dims()) << " group_size " << group_size);
    const auto c = md.dims()[1];
    const auto gamma = test::random_normal(c, 5, 0.5), beta = test::random_normal(c, 6, 0.5);
    const Tensor src = random_tensor(md, 7, 2.0);

    GroupNorm gn(c, GroupNormOptions{.group_size = group_size});
    gn.gamma().value.from_vector(gamma);
    gn.beta().value.from_vector(beta);
    Eltwise relu("relu");
    const Tensor& y_separate = relu.forward(gn.forward(src, Mode::train), Mode::train);
    const Tensor diff_dst = random_tensor(y_separate.desc(), 8);
    Outputs separate{y_separate.to_vector(), gn.backward(relu.backward(diff_dst)).to_vector(),
                     gn.gamma().grad.to_vector(), gn.beta().grad.to_vector()};

    FusedGroupNormRelu fused(c, group_size);
    fused.gamma_.value.from_vector(gamma);
    fused.beta_.value.from_vector(beta);
    const Tensor& y_fused = fused.forward(src, Mode::train);
    REQUIRE(y_fused.desc() == y_separate.desc());
    Outputs together{y_fused.to_vector(), fused.backward(diff_dst).to_vector(), fused.gamma_.grad.to_vector(),
                     fused.beta_.grad.to_vector()};
    CHECK(together.y == separate.y);
    CHECK(together.dx == separate.dx);
    CHECK(together.dgamma == separate.dgamma);
    CHECK(together.dbeta == separate.dbeta);
    // Half the outputs are cut by the ReLU: the mask matters in this comparison.
    const auto zeros = std::count(together.y.begin(), together.y.end(), 0.0f);
    CHECK(zeros > static_cast<long>(together.y.size() / 4));
  }
}

TEST_CASE("group norm with ReLU fused: gradients match finite differences", "[layers][group_norm][fused][gradcheck]") {
  for (const auto& [md, group_size] : std::vector<std::pair<dnnl::memory::desc, std::int64_t>>{
           {plain_desc({4, 6}), 3}, {desc4(2, 4, 3, 3, tag::nchw), 2}, {desc4(3, 16, 2, 2, tag::nChw16c), 4}}) {
    INFO(to_string(md.dims()) << " group_size " << group_size);
    const auto c = md.dims()[1];
    FusedGroupNormRelu fused(c, group_size);
    // Outputs kept away from ReLU's kink, where central differences are wrong: |gamma·xhat| <= 0.3 ·
    // sqrt(M - 1) < 1.5 = |beta| for these group sizes M. Channels alternate between all positive
    // (gradient passes) and all cut (gradient 0), so every group mixes both.
    std::vector<float> gamma(c, 0.3f), beta(c);
    for (std::int64_t k = 0; k < c; ++k) beta[k] = k % 2 ? -1.5f : 1.5f;
    fused.gamma_.value.from_vector(gamma);
    fused.beta_.value.from_vector(beta);
    test::GradCheckOptions opt;
    opt.eps = 1e-3;
    test::check_layer_gradients(fused, md, opt);
  }
}

TEST_CASE("bnlab's parallel loops get the --threads threads in the GCC build", "[layers][threads]") {
  ThreadsFor scope(2);
  CHECK(num_threads() == 2);
#if defined(__GNUC__) && !defined(__clang__)
  CHECK(threads_in_parallel_region() == 2);  // -fopenmp: the `omp parallel` regions are real
#else
  CHECK(threads_in_parallel_region() == 1);  // clang builds compile only `omp simd` (CMakeLists.txt)
#endif
}

TEST_CASE("group norm, layer norm and max pooling give identical results on 1 and 2 threads", "[layers][threads]") {
  const auto md = desc4(16, 32, 14, 14, tag::nChw16c);  // large enough for the loops to go parallel
  const Tensor src = random_tensor(md, 11, 2.0);
  const Tensor diff_dst = random_tensor(md, 12);
  auto run_norm = [&](Layer& layer, int threads) {
    ThreadsFor scope(threads);
    Outputs out;
    out.y = layer.forward(src, Mode::train).to_vector();
    out.dx = layer.backward(diff_dst).to_vector();
    out.dgamma = layer.params()[0]->grad.to_vector();
    out.dbeta = layer.params()[1]->grad.to_vector();
    return out;
  };
  for (const std::int64_t group_size : {4, 32}) {
    INFO("group_size " << group_size);
    const GroupNormOptions options{.group_size = group_size};
    GroupNorm one(32, options), two(32, options);
    const auto a = run_norm(one, 1), b = run_norm(two, 2);
    CHECK(a.y == b.y);
    CHECK(a.dx == b.dx);
    CHECK(a.dgamma == b.dgamma);
    CHECK(a.dbeta == b.dbeta);
    FusedGroupNormRelu fused_one(32, group_size), fused_two(32, group_size);
    const auto fa = run_norm(fused_one, 1), fb = run_norm(fused_two, 2);
    CHECK(fa.y == fb.y);
    CHECK(fa.dx == fb.dx);
  }
  LayerNorm ln_one(32), ln_two(32);
  const auto la = run_norm(ln_one, 1), lb = run_norm(ln_two, 2);
  CHECK(la.y == lb.y);
  CHECK(la.dx == lb.dx);
  CHECK(la.dgamma == lb.dgamma);

  for (const auto layout : {tag::nChw16c, tag::nhwc}) {
    const auto pool_md = desc4(16, 32, 14, 14, layout);
    const Tensor pool_src = random_tensor(pool_md, 13);
    auto run_pool = [&](int threads) {
      ThreadsFor scope(threads);
      MaxPool2d pool(2, 2);
      const Tensor& y = pool.forward(pool_src, Mode::train);
      REQUIRE(pool.impl(Mode::train) == "bnlab:pool2x2");
      const Tensor dy = random_tensor(y.desc(), 14);
      return Outputs{y.to_vector(), pool.backward(dy).to_vector(), {}, {}};
    };
    const auto pa = run_pool(1), pb = run_pool(2);
    CHECK(pa.y == pb.y);
    CHECK(pa.dx == pb.dx);
  }
}
