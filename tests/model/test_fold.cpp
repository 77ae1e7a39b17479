// Batch-norm folding: the folded weights by hand, the folded network's eval logits against the
// trained BN network's (mlp, cnn, fused and separate BN+ReLU), its layers against the model built
// without norm, errors for what cannot fold; and model.fuse_norm_relu: honoured by the builder,
// checked by the schema, and without effect on the numbers of a run.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "experiment/config.hpp"
#include "experiment/results_test_util.hpp"
#include "layers/batch_norm.hpp"
#include "layers/eltwise.hpp"
#include "layers/linear.hpp"
#include "model/builder.hpp"
#include "model/layer_kinds.hpp"
#include "model/fold.hpp"
#include "synthetic_data.hpp"
#include "train/trainer.hpp"

using namespace bnlab;
using test::layer_kinds;

namespace {

// "kind:dims" of every param, in order: the folded network must have exactly these of the
// no-norm network.
std::vector<std::string> param_shapes(Network& net) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < net.size(); ++i)
    for (Param* p : net.layer(i).params())
      out.push_back(net.layer(i).kind() + ":" + p->name + to_string(p->value.dims()));
  return out;
}

// Trains `net` a few steps (running statistics move away from 0/1), then gives every BN random
// gamma/beta far from 1/0 and shifts its running mean, so that every term of the fold formula
// matters.
void make_nontrivial(Network& net, std::uint64_t seed) {
  const auto& data = testing::synthetic_split(600, 200, 7);
  TrainConfig train;
  train.batch_size = 20;
  train.steps = 25;
  train.epochs.reset();
  train.eval_every = 25;
  OptimizerConfig opt;
  opt.lr = 0.05;
  opt.momentum = 0.9;
  Trainer(net, data.train, data.test, train, opt).run();
  Rng rng(seed);
  for (std::size_t i = 0; i < net.size(); ++i) {
    auto* bn = dynamic_cast<BatchNorm*>(&net.layer(i));
    if (!bn) continue;
    std::vector<float> gamma(static_cast<std::size_t>(bn->gamma().value.numel())), beta(gamma.size());
    for (auto& g : gamma) g = static_cast<float>(0.5 + 1.5 * rng.uniform());
    for (auto& b : beta) b = static_cast<float>(rng.normal());
    bn->gamma().value.from_vector(gamma);
    bn->beta().value.from_vector(beta);
    // the running variance moved in training (not the initial 1); the running mean can stay near 0
    // (a conv without bias on standardized images), so it gets an offset
    const auto var = bn->running_var().to_vector();
    CHECK(std::any_of(var.begin(), var.end(), [](float v) { return std::abs(v - 1) > 0.05; }));
    auto mean = bn->running_mean().to_vector();
    for (auto& m : mean) m += static_cast<float>(0.5 * rng.normal());
    bn->running_mean().from_vector(mean);
  }
}

// Eval-mode logits of both networks on 60 test images; the largest difference relative to the
// logit scale.
double relative_logit_difference(Network& a, Network& b) {
  const auto& data = testing::synthetic_split(600, 200, 7);
  const std::int64_t n = 60;
  Tensor input = Tensor::plain(a.input_dims(n));
  std::vector<float> pixels(data.test.images.begin(), data.test.images.begin() + input.numel());
  input.from_vector(pixels);
  const auto la = a.forward(input, Mode::eval).to_vector();
  const auto lb = b.forward(input, Mode::eval).to_vector();
  REQUIRE(la.size() == lb.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < la.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(la[i] - lb[i])));
    scale = std::max(scale, static_cast<double>(std::abs(la[i])));
  }
  REQUIRE(scale > 0.5);  // logits of a trained net, not all ~0
  return diff / scale;
}

// An MLP of these hidden widths with BN and ReLU.
ModelConfig bn_relu_mlp(std::vector<std::int64_t> hidden) {
  ModelConfig m;
  m.arch = "mlp";
  m.hidden = std::move(hidden);
  m.activation = "relu";
  m.norm = "batch";
  return m;
}

// A CNN (conv 8, 16, fc 20) with BN and ReLU.
ModelConfig bn_relu_cnn() {
  ModelConfig m;
  m.arch = "cnn";
  m.channels = {8, 16};
  m.fc = {20};
  m.activation = "relu";
  m.norm = "batch";
  return m;
}

// A layer that normalizes but is not a batch norm (layer/group norm stand-in).
class FakeNorm : public Layer {
 public:
  std::string kind() const override { return "fake_norm"; }
  const Tensor& forward(const Tensor& src, Mode) override { return src; }
  const Tensor& backward(const Tensor& diff_dst, bool) override { return diff_dst; }
  bool is_norm() const override { return true; }
};

// The message of the ConfigError `f` throws ("" when it throws nothing; another type fails the test).
template <class F>
std::string config_error(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("folding a linear layer's batch norm: weights and bias by hand", "[fold]") {
  ModelConfig m = bn_relu_mlp({2});
  NormConfig norm;
  norm.eps = 0.5;  // var + eps = 4 and 1 below
  auto net = build_model(m, norm, {}, {1, 1, 3}, 2, 1);
  REQUIRE(layer_kinds(*net) == "linear batch_norm+relu linear");  // width 2: ReLU as a separate step inside
  auto& bn = dynamic_cast<BatchNorm&>(net->layer(1));
  net->layer(0).params()[0]->value.from_vector({1, 2, 3, 4, 5, 6});  // W (2, 3)
  bn.gamma().value.from_vector({2, 0.5f});
  bn.beta().value.from_vector({0.1f, -0.2f});
  bn.running_mean().from_vector({1, -1});
  bn.running_var().from_vector({3.5f, 0.5f});
  auto folded = fold_batch_norm(*net, m);
  CHECK(layer_kinds(*folded) == "linear relu linear");
  // s = gamma / sqrt(var + eps) = (2/2, 0.5/1) = (1, 0.5); W' = W * s per row;
  // b' = beta + (0 - mean) * s = (0.1 - 1, -0.2 + 0.5)
  const auto params = folded->layer(0).params();
  REQUIRE(params.size() == 2);
  const auto w = params[0]->value.to_vector(), b = params[1]->value.to_vector();
  const std::vector<float> w_expected{1, 2, 3, 2, 2.5f, 3};
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(w_expected[i]).epsilon(1e-6));
  CHECK(b[0] == Approx(-0.9).epsilon(1e-6));
  CHECK(b[1] == Approx(0.3).epsilon(1e-6));
  // the classifier is copied as is
  CHECK(folded->layer(2).params()[0]->value.to_vector() == net->layer(2).params()[0]->value.to_vector());
  CHECK(folded->layer(2).params()[1]->value.to_vector() == net->layer(2).params()[1]->value.to_vector());
}

TEST_CASE("a folded network gives the BN network's eval logits with the layers of the no-norm network", "[fold]") {
  struct Case {
    const char* what;
    ModelConfig model;
    bool fuse;
    const char* expected_kinds;
  };
  ModelConfig mlp_separate = bn_relu_mlp({32, 20});
  mlp_separate.fuse_norm_relu = false;
  ModelConfig mlp_sigmoid = bn_relu_mlp({24});
  mlp_sigmoid.activation = "sigmoid";
  mlp_sigmoid.dropout = 0.2;
  ModelConfig cnn_separate = bn_relu_cnn();
  cnn_separate.fuse_norm_relu = false;
  const std::vector<Case> cases = {
      {"mlp, BN+ReLU in the norm (fused at width 32, two steps at 20)", bn_relu_mlp({32, 20}), true,
       "linear batch_norm+relu linear batch_norm+relu linear"},
      {"mlp, fuse_norm_relu off", mlp_separate, false, "linear batch_norm relu linear batch_norm relu linear"},
      {"mlp, sigmoid and dropout", mlp_sigmoid, false, "linear batch_norm sigmoid dropout linear"},
      {"cnn, fused", bn_relu_cnn(), true,
       "conv2d batch_norm+relu max_pool conv2d batch_norm+relu max_pool flatten linear batch_norm+relu linear"},
      {"cnn, fuse_norm_relu off", cnn_separate, false,
       "conv2d batch_norm relu max_pool conv2d batch_norm relu max_pool flatten linear batch_norm relu linear"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto net = build_model(c.model, {}, {}, {1, 28, 28}, 10, 3);
    REQUIRE(layer_kinds(*net) == c.expected_kinds);
    make_nontrivial(*net, 11);
    const auto before = net->layer(0).params()[0]->value.to_vector();
    auto folded = fold_batch_norm(*net, c.model);

    ModelConfig plain = c.model;
    plain.norm = "none";
    auto no_norm = build_model(plain, {}, {}, {1, 28, 28}, 10, 3);
    CHECK(layer_kinds(*folded) == layer_kinds(*no_norm));
    CHECK(param_shapes(*folded) == param_shapes(*no_norm));
    CHECK(folded->num_params() == no_norm->num_params());
    CHECK(folded->input_shape() == net->input_shape());

    CHECK(relative_logit_difference(*net, *folded) < 1e-5);
    CHECK(net->layer(0).params()[0]->value.to_vector() == before);  // the trained net is untouched
    // the folded weights are not the trained ones: the fold did something
    CHECK(folded->layer(0).params()[0]->value.to_vector() != before);
  }
}

TEST_CASE("norms that cannot be folded are config errors naming the key", "[fold]") {
  ModelConfig post = bn_relu_mlp({16});
  post.norm_position = "post_activation";
  auto net = build_model(post, {}, {}, {1, 4, 4}, 3, 1);
  CHECK_FALSE(foldable(post));
  CHECK_THAT(config_error([&] { fold_batch_norm(*net, post); }), Catch::StartsWith("model.norm_position:"));

  // a network whose BN does not follow a linear layer, with a config that claims pre_activation
  CHECK_THAT(config_error([&] { fold_batch_norm(*net, bn_relu_mlp({16})); }),
             Catch::Contains("does not directly follow a linear/conv layer"));

  ModelConfig none = bn_relu_mlp({16});
  none.norm = "none";
  CHECK_FALSE(foldable(none));
  auto plain = build_model(none, {}, {}, {1, 4, 4}, 3, 1);
  CHECK_THAT(config_error([&] { fold_batch_norm(*plain, none); }),
             Catch::StartsWith("model.norm:") && Catch::Contains("nothing to fold"));

  for (const char* kind : {"layer", "group", "batch_renorm", "ghost_batch", "noisy_batch"}) {
    ModelConfig other = bn_relu_mlp({16});
    other.norm = kind;
    CHECK_FALSE(foldable(other));
    auto other_net = build_model(other, {}, {}, {1, 4, 4}, 3, 1);
    CHECK_THAT(config_error([&] { fold_batch_norm(*other_net, other); }),
               Catch::StartsWith("model.norm:") && Catch::Contains("'" + std::string(kind) + "'"));
  }

  // a norm layer that is not a batch norm, in a network the config calls batch norm
  Network odd(Dims{16});
  odd.add(std::make_unique<Linear>(16, 4, false));
  odd.add(std::make_unique<FakeNorm>());
  odd.add(std::make_unique<Eltwise>("relu"));
  odd.add(std::make_unique<Linear>(4, 3, true));
  ModelConfig odd_model = bn_relu_mlp({4});
  CHECK(foldable(odd_model));
  CHECK_THAT(config_error([&] { fold_batch_norm(odd, odd_model); }),
             Catch::Contains("fake_norm, which cannot be folded"));
}

TEST_CASE("model.fuse_norm_relu: the builder honours it, the schema checks it", "[fold][fuse]") {
  ModelConfig m = bn_relu_mlp({16});
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear batch_norm+relu linear");
  m.fuse_norm_relu = false;
  CHECK(layer_kinds(*build_model(m, {}, {}, {1, 2, 2}, 2, 1)) == "linear batch_norm relu linear");

  const std::string base = R"({"name": "x", "train": {"steps": 5}, "model": {"fuse_norm_relu": )";
  CHECK(parse_run_config(nlohmann::json::parse(base + "false}}")).model.fuse_norm_relu == false);
  CHECK(parse_run_config(nlohmann::json::parse(R"({"name": "x", "train": {"steps": 5}})")).model.fuse_norm_relu);
  CHECK_THROWS_WITH(parse_run_config(nlohmann::json::parse(base + "1}}")),
                    Catch::Contains("model.fuse_norm_relu: expected true or false, got"));
}

TEST_CASE("model.fuse_norm_relu does not change a run's numbers", "[fold][fuse]") {
  testing::TempDir tmp;
  // width 16: BN is fused by default (a fast kernel exists), group norm always in its own kernel,
  // so each pair of runs does use different code
  const Experiment e =
      testing::tiny_experiment(R"({"model.norm": ["batch", "group"], "model.fuse_norm_relu": [true, false]})");
  REQUIRE(run_experiment(e, testing::test_options(tmp.path())).exit_status == 0);
  const auto plan = expand(e);
  REQUIRE(plan.size() == 4);
  auto find = [&](const std::string& norm, bool fuse) {
    for (const auto& run : plan)
      if (run.config.model.norm == norm && run.config.model.fuse_norm_relu == fuse) return run;
    FAIL("no run with model.norm " << norm << " and fuse_norm_relu " << fuse);
    return plan[0];
  };
  for (const std::string norm : {"batch", "group"}) {
    const auto fused_run = find(norm, true);
    const auto separate_run = find(norm, false);
    for (const char* column : {"train_loss", "test_loss"}) {
      const auto fused = testing::csv_column(tmp.path() / "tiny" / "runs" / fused_run.run_id / "metrics.csv", column);
      const auto separate =
          testing::csv_column(tmp.path() / "tiny" / "runs" / separate_run.run_id / "metrics.csv", column);
      REQUIRE(fused.size() == 2);
      REQUIRE(separate.size() == 2);
      for (std::size_t i = 0; i < fused.size(); ++i) {
        INFO(fused_run.config.model.norm << ", " << column << " at evaluation " << i << ": " << fused[i] << " vs "
                                         << separate[i]);
        CHECK(std::stod(fused[i]) == Approx(std::stod(separate[i])).epsilon(1e-6));
      }
    }
  }
}
