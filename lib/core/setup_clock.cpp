#include "core/setup_clock.hpp"

#include <atomic>
#include <chrono>

namespace bnlab {

namespace {
std::atomic<std::int64_t> g_setup_ns{0};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

double setup_seconds() { return static_cast<double>(g_setup_ns.load()) * 1e-9; }

SetupClock::SetupClock() : start_ns_(now_ns()) {}
SetupClock::~SetupClock() { g_setup_ns += now_ns() - start_ns_; }

}  // namespace bnlab
