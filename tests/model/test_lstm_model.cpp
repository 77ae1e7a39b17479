// model.arch "lstm": the layers the builder makes, the norm variants it maps model.norm to, and
// short training runs on synthetic sequences whose loss falls, the same for the same seed.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/errors.hpp"
#include "layers/lstm.hpp"
#include "layers/softmax_cross_entropy.hpp"
#include "model/builder.hpp"
#include "train/sgd.hpp"

using namespace bnlab;

namespace {

// "name:kind" of every top-level layer.
std::string named_kinds(const Network& net) {
  std::string out;
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (i) out += ' ';
    out += net.name(i) + ":" + net.layer(i).kind();
  }
  return out;
}

ModelConfig lstm_config(const std::string& norm) {
  ModelConfig m;
  m.arch = "lstm";
  m.norm = norm;
  m.lstm_hidden = 16;
  return m;
}

// Four classes, one 6x6 prototype each (a bright row at 0, 2, 4, or a bright column), plus noise:
// an LSTM reading rows must remember what it saw to classify at the last step.
struct Batch {
  Tensor images = Tensor::plain({16, 1, 6, 6});
  std::vector<std::int32_t> labels = std::vector<std::int32_t>(16);
};

Batch synthetic_batch(Rng& rng) {
  Batch b;
  std::vector<float> x(16 * 36);
  for (std::size_t n = 0; n < 16; ++n) {
    const auto label = static_cast<std::int32_t>(rng.below(4));
    b.labels[n] = label;
    for (std::size_t k = 0; k < 36; ++k) {
      const std::size_t row = k / 6, col = k % 6;
      const bool on = label < 3 ? row == static_cast<std::size_t>(2 * label) : col == 3;
      x[n * 36 + k] = (on ? 1.0f : 0.0f) + static_cast<float>(rng.normal(0.0, 0.2));
    }
  }
  b.images.from_vector(x);
  return b;
}

// Trains `steps` SGD steps; returns the loss of every step.
std::vector<double> train(Network& net, int steps, std::uint64_t data_seed) {
  SoftmaxCrossEntropy loss;
  Sgd sgd(net.params(), 0.9, 0.0);
  Rng rng(data_seed);
  std::vector<double> losses;
  for (int s = 0; s < steps; ++s) {
    Batch b = synthetic_batch(rng);
    losses.push_back(loss.forward(net.forward(b.images, Mode::train), b.labels.data()));
    net.backward(loss.backward());
    sgd.step(0.1);
  }
  return losses;
}

// The mean of v[from, to).
double mean_of_range(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

}  // namespace

TEST_CASE("model.arch lstm reads the image as a sequence into LSTM layers and a classifier", "[model][lstm]") {
  auto m = lstm_config("batch");
  CHECK(named_kinds(*build_model(m, {}, {}, {1, 28, 28}, 10, 1)) ==
        "sequence:image_sequence lstm1:lstm classifier:linear");
  m.lstm_layers = 2;
  m.sequence = "permuted_pixels";
  auto net = build_model(m, {}, {}, {1, 28, 28}, 10, 1);
  CHECK(named_kinds(*net) == "sequence:image_sequence lstm1:lstm lstm2:lstm classifier:linear");
  const auto& first = dynamic_cast<Lstm&>(net->layer(1)).options();
  CHECK(first.steps == 784);
  CHECK(first.input == 1);
  CHECK(first.return_sequence);
  CHECK_FALSE(dynamic_cast<Lstm&>(net->layer(2)).options().return_sequence);
  CHECK(dynamic_cast<Lstm&>(net->layer(2)).options().input == 16);
}

TEST_CASE("model.norm picks the LSTM variant; a norm without one is refused", "[model][lstm]") {
  const std::pair<const char*, LstmVariant> cases[] = {{"none", LstmVariant::plain},
                                                       {"batch_input", LstmVariant::batch_input},
                                                       {"batch", LstmVariant::batch},
                                                       {"layer", LstmVariant::layer}};
  for (const auto& [norm, variant] : cases) {
    auto net = build_model(lstm_config(norm), {}, {}, {1, 6, 6}, 4, 1);
    CHECK(dynamic_cast<Lstm&>(net->layer(1)).options().variant == variant);
  }
  CHECK_THROWS_AS(build_model(lstm_config("group"), {}, {}, {1, 6, 6}, 4, 1), ConfigError);
  auto rows = lstm_config("none");
  CHECK_THROWS_AS(build_model(rows, {}, {}, {3, 6, 6}, 4, 1), ConfigError);  // rows of a 3-channel image
}

TEST_CASE("an LSTM's training loss falls on synthetic sequences, for every norm variant", "[model][lstm][train]") {
  for (const char* norm : {"none", "batch_input", "batch", "layer"}) {
    INFO(norm);
    auto net = build_model(lstm_config(norm), {}, {}, {1, 6, 6}, 4, 3);
    const auto losses = train(*net, 80, 5);
    const double first = mean_of_range(losses, 0, 5), last = mean_of_range(losses, 70, 80);
    INFO("loss " << first << " -> " << last);
    CHECK(std::isfinite(last));
    CHECK(last < 0.5 * first);
  }
}

TEST_CASE("an LSTM model: the same seed gives the same numbers", "[model][lstm]") {
  auto run = [](std::uint64_t seed) {
    auto net = build_model(lstm_config("batch"), {}, {}, {1, 6, 6}, 4, seed);
    return train(*net, 5, 9);
  };
  CHECK(run(2) == run(2));
  CHECK(run(2) != run(3));
}
