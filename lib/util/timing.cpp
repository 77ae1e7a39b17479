#include "util/timing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace bnlab {

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

Timing measure(const std::function<void()>& op, const TimingOptions& options) {
  op();  // builds primitives, first touch
  long warm_calls = 0;
  const auto w0 = Clock::now();
  do {
    op();
    ++warm_calls;
  } while (warm_calls < 2 || ms_since(w0) < options.warmup_ms);
  const double per_call_ms = ms_since(w0) / static_cast<double>(warm_calls);
  const long calls = std::max(1L, static_cast<long>(std::ceil(options.min_repeat_ms / std::max(per_call_ms, 1e-6))));

  std::vector<double> per_call;
  per_call.reserve(static_cast<std::size_t>(options.repeats));
  for (int r = 0; r < options.repeats; ++r) {
    const auto t0 = Clock::now();
    for (long c = 0; c < calls; ++c) op();
    per_call.push_back(ms_since(t0) / static_cast<double>(calls));
  }
  Timing t;
  t.median_ms = median(per_call);
  t.min_ms = *std::min_element(per_call.begin(), per_call.end());
  t.repeats = options.repeats;
  t.calls_per_repeat = calls;
  return t;
}

}  // namespace bnlab
