// The steady-state training step (forward, loss, backward, SGD update) allocates nothing on the
// heap: this file replaces the global operator new of the test binary with a counting one.
// oneDNN itself builds a small std::unordered_map of the arguments inside every primitive
// execution (exec_ctx_t); those allocations happen in libdnnl and are out of our hands, so an
// allocation is counted only when the code calling operator new is not in libdnnl.
// Under AddressSanitizer the sanitizer owns operator new/delete (replacing only some of their
// forms gives alloc-dealloc mismatches), so this file is compiled only in unsanitized builds; the
// primitive-creation check in test_trainer.cpp runs in both.
#if defined(__SANITIZE_ADDRESS__)
#define BNLAB_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BNLAB_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef BNLAB_COUNT_ALLOCATIONS
#define BNLAB_COUNT_ALLOCATIONS 1
#endif

#if BNLAB_COUNT_ALLOCATIONS
#include <catch2/catch.hpp>
#include <dlfcn.h>

#include <atomic>
#include <cstring>
#include <cstdlib>
#include <new>

#include "layers/softmax_cross_entropy.hpp"
#include "model/builder.hpp"
#include "model/small_nets.hpp"
#include "train/sgd.hpp"

namespace {
std::atomic<long> g_allocations{0};      // outside oneDNN
std::atomic<long> g_dnnl_allocations{0};  // inside oneDNN (reported, not asserted)

bool called_from_dnnl(void* caller) {
  Dl_info info{};
  return dladdr(caller, &info) != 0 && info.dli_fname && std::strstr(info.dli_fname, "libdnnl") != nullptr;
}
}  // namespace

void* operator new(std::size_t size) {
  if (called_from_dnnl(__builtin_return_address(0)))
    ++g_dnnl_allocations;
  else
    ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form (Catch2 uses it) must pair with the delete below too: otherwise, under ASan, it
// is ASan's allocation freed by std::free, an alloc-dealloc mismatch at exit of every test.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
// GCC cannot see that these deletes pair with the malloc of the operator new above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace bnlab;

namespace {
// Two warm-up steps, then five counted ones: no allocation outside oneDNN, no primitive built.
void check_steady_state(Network& net) {
  Tensor input = Tensor::plain(net.input_dims(8));
  input.fill(0.25f);
  std::vector<std::int32_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
  SoftmaxCrossEntropy loss;
  Sgd sgd(net.params(), 0.9, 1e-4);
  auto step = [&] {
    loss.forward(net.forward(input, Mode::train), labels.data());
    net.backward(loss.backward());
    sgd.step(0.01);
  };
  step();
  step();
  const auto primitives_before = primitive_creations();
  const long before = g_allocations.load(), dnnl_before = g_dnnl_allocations.load();
  for (int i = 0; i < 5; ++i) step();
  const long ours = g_allocations.load() - before;  // read before INFO, which allocates itself
  CHECK(primitive_creations() == primitives_before);
  const long dnnl = g_dnnl_allocations.load() - dnnl_before;
  INFO("allocations inside oneDNN per step: " << dnnl / 5);
  CHECK(ours == 0);
}
}  // namespace

TEST_CASE("the steady-state training step allocates nothing", "[train][perf]") {
  struct Case {
    const char* arch;
    const char* norm;
    const char* activation;
  };
  for (const auto& c : {Case{"mlp", "batch", "sigmoid"}, Case{"mlp", "batch", "relu"}, Case{"mlp", "none", "tanh"},
                        Case{"cnn", "batch", "relu"}, Case{"cnn", "none", "relu"}, Case{"mlp", "group", "relu"},
                        Case{"cnn", "group", "relu"}, Case{"mlp", "layer", "relu"}, Case{"cnn", "layer", "relu"},
                        Case{"mlp", "ghost_batch", "relu"}, Case{"cnn", "ghost_batch", "relu"},
                        Case{"mlp", "noisy_batch", "relu"}, Case{"cnn", "noisy_batch", "relu"},
                        Case{"mlp", "batch_renorm", "relu"}, Case{"cnn", "batch_renorm", "relu"}}) {
    INFO(c.arch << " " << c.norm << " " << c.activation);
    ModelConfig m;
    m.arch = c.arch;
    m.norm = c.norm;
    m.activation = c.activation;
    m.channels = {16};
    m.fc = {32};
    m.dropout = 0.1;
    auto net = build_model(m, {}, {}, {1, 12, 12}, 10, 1);
    check_steady_state(*net);
  }
}

TEST_CASE("the steady-state LSTM training step allocates nothing, for every norm variant", "[train][perf][lstm]") {
  for (const char* norm : {"none", "batch_input", "batch", "layer"}) {
    INFO("lstm " << norm);
    ModelConfig m;
    m.arch = "lstm";
    m.norm = norm;
    m.lstm_hidden = 16;
    m.lstm_layers = 2;
    auto net = build_model(m, {}, {}, {1, 12, 12}, 10, 1);
    check_steady_state(*net);
  }
}

TEST_CASE("a network of residual and branches blocks allocates nothing per step", "[train][perf]") {
  auto net = test::small_resnet();
  check_steady_state(*net);
}
#endif  // BNLAB_COUNT_ALLOCATIONS
