// Blocks: finite-difference gradients through a residual block (identity and stride-2 projection
// shortcuts) and a branches block, the add against body(x) + x, shape errors, the leaf walk and
// its path names, and a network of blocks that builds no primitive after its first steps.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/errors.hpp"
#include "layers/eltwise.hpp"
#include "layers/layer_check.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/small_nets.hpp"
#include "train/sgd.hpp"

using namespace bnlab;
using test::desc4;
using tag = dnnl::memory::format_tag;

namespace {
void randomize_weights(Layer& layer, std::uint64_t seed) {
  for (Param* p : layer.params())
    if (p->name == "weight") p->value.from_vector(test::random_normal(static_cast<std::size_t>(p->value.numel()), seed++, 0.3));
}
// Steps of 1e-3 (as batch_norm's own check): with 1e-2, a step moves enough pre-activations of the
// body's two ReLUs and the block's across their kinks to miss by a few percent.
test::GradCheckOptions small_steps() {
  test::GradCheckOptions opt;
  opt.eps = 1e-3;
  return opt;
}
}  // namespace

TEST_CASE("residual block gradients match finite differences", "[model][blocks][gradcheck]") {
  SECTION("identity shortcut") {
    auto block = test::basic_block(16, 16, 1);
    randomize_weights(*block, 3);
    CHECK(block->shortcut().empty());
    test::check_layer_gradients(*block, desc4(2, 16, 4, 4, tag::nChw16c), small_steps());
  }
  SECTION("projection shortcut, stride 2") {
    auto block = test::basic_block(8, 16, 2);
    randomize_weights(*block, 5);
    CHECK(block->shortcut().size() == 2);
    test::check_layer_gradients(*block, desc4(2, 8, 6, 6), small_steps());
  }
}

TEST_CASE("branches block gradients match finite differences", "[model][blocks][gradcheck]") {
  auto block = test::inception_block(16, 4, 8);
  randomize_weights(*block, 7);
  test::check_layer_gradients(*block, desc4(2, 16, 4, 4, tag::nChw16c));
}

TEST_CASE("a residual block adds its input to its body's output and applies the ReLU", "[model][blocks]") {
  auto block = test::basic_block(16, 16, 1);
  randomize_weights(*block, 3);
  Tensor x(desc4(2, 16, 4, 4));
  const auto xv = test::random_normal(static_cast<std::size_t>(x.numel()), 1);
  x.from_vector(xv);
  const auto y = block->forward(x, Mode::train).to_vector();
  const auto body = block->body().output(3, Mode::train)->to_vector();
  std::vector<double> want(xv.size());
  for (std::size_t i = 0; i < xv.size(); ++i) want[i] = std::max(0.0, static_cast<double>(body[i]) + xv[i]);
  test::check_close(y, want, 1e-5);

  Residual linear_block(/*relu=*/false);  // a pre-activation block: no ReLU after the add
  test::basic_body(linear_block.body(), 16, 16, 1);
  const auto z = linear_block.forward(x, Mode::eval).to_vector();
  CHECK(std::any_of(z.begin(), z.end(), [](float v) { return v < 0; }));
}

TEST_CASE("blocks name the shapes that do not fit", "[model][blocks]") {
  Residual block;
  block.body().add(std::make_unique<Conv2d>(16, 32, Conv2dOptions{3, 2, 1, false}));
  Tensor x(desc4(2, 16, 8, 8));
  CHECK_THROWS_WITH(block.forward(x, Mode::train), "residual: body gives (2,32,4,4), shortcut (2,16,8,8)");
  Branches branches;
  branches.add_branch().add(std::make_unique<Conv2d>(16, 8, Conv2dOptions{3, 2, 1, false}));
  branches.add_branch();
  CHECK_THROWS_AS(branches.forward(x, Mode::train), ShapeError);
  CHECK_THROWS_AS(Branches().forward(x, Mode::train), ShapeError);
  Sequence seq;
  seq.add(std::make_unique<Eltwise>("relu"), "act");
  CHECK_THROWS_WITH(seq.add(std::make_unique<Eltwise>("tanh"), "act"), "sequence: two layers named 'act'");
}

TEST_CASE("a network walks its leaves in forward order with stable path names", "[model][blocks]") {
  auto net = test::small_resnet();
  std::vector<std::string> paths;
  for (const Leaf& leaf : net->leaves()) paths.push_back(leaf.path);
  const std::vector<std::string> want = {
      "stem", "stem_norm",
      "stage1.body.conv1", "stage1.body.norm1", "stage1.body.conv2", "stage1.body.norm2",
      "stage2.body.conv1", "stage2.body.norm1", "stage2.body.conv2", "stage2.body.norm2",
      "stage2.shortcut.conv", "stage2.shortcut.norm",
      "mixed.branch1.conv", "mixed.branch2.conv",
      "pool", "flatten", "fc"};
  CHECK(paths == want);
  CHECK(net->size() == 8);
  std::size_t leaf_params = 0;
  for (const Leaf& leaf : net->leaves()) leaf_params += leaf.layer->params().size();
  CHECK(net->params().size() == leaf_params);  // the blocks add none of their own

  Sequence unnamed;
  unnamed.add(std::make_unique<Eltwise>("relu"));
  unnamed.add(std::make_unique<Eltwise>("relu"), "relu2");
  unnamed.add(std::make_unique<Eltwise>("relu"));
  CHECK(unnamed.name(0) == "relu1");
  CHECK(unnamed.name(2) == "relu3");
}

TEST_CASE("a network of blocks trains without building primitives per step", "[model][blocks]") {
  auto net = test::small_resnet();
  Tensor input = Tensor::plain(net->input_dims(4));
  input.from_vector(test::random_normal(static_cast<std::size_t>(input.numel()), 2));
  std::vector<std::int32_t> labels = {0, 1, 2, 3};
  SoftmaxCrossEntropy loss;
  auto step = [&] {
    const double l = loss.forward(net->forward(input, Mode::train), labels.data());
    net->backward(loss.backward());
    return l;
  };
  step();
  net->forward(input, Mode::eval);
  const auto before = primitive_creations();
  for (int i = 0; i < 3; ++i) {
    step();
    net->forward(input, Mode::eval);
  }
  CHECK(primitive_creations() == before);
  // Every leaf's input and output are recorded, inside blocks too.
  for (const Leaf& leaf : net->leaves()) {
    INFO(leaf.path);
    CHECK(leaf.input(Mode::train) != nullptr);
    CHECK(leaf.output(Mode::train) != nullptr);
  }
  CHECK(net->leaves()[10].input(Mode::train)->dims() == Dims{4, 16, 12, 12});  // the shortcut's conv sees stage1's output
}

TEST_CASE("a network of blocks learns: the loss on a fixed batch falls", "[model][blocks]") {
  // 30 SGD steps on 16 random images with random labels: a network whose backward through the
  // blocks were wrong would not fit them.
  auto net = test::small_resnet(4);
  Tensor input = Tensor::plain(net->input_dims(16));
  input.from_vector(test::random_normal(static_cast<std::size_t>(input.numel()), 8));
  std::vector<std::int32_t> labels;
  for (std::int32_t i = 0; i < 16; ++i) labels.push_back((i * 7) % 10);
  const auto [first, last] = test::fit_fixed_batch(*net, input, labels, 30);
  INFO("loss " << first << " -> " << last);
  CHECK(last < 0.5 * first);
}
