// Timing of a repeated operation the way benchdnn's --mode=p does it: a warm-up (first call builds
// primitives and touches memory; later calls settle caches and the OpenMP pool), then `repeats`
// timed repeats, each running the operation enough times in a row to last at least
// min_repeat_ms (so a 20 µs step is not timed by a clock read around one call). The result is
// per call: the median over repeats (what to quote on a noisy, shared machine) and the minimum
// (the least disturbed repeat).
#pragma once

#include <functional>
#include <vector>

namespace bnlab {

struct Timing {
  double median_ms = 0;  // per call, median over repeats
  double min_ms = 0;     // per call, fastest repeat
  int repeats = 0;
  long calls_per_repeat = 0;
};

struct TimingOptions {
  int repeats = 10;
  double min_repeat_ms = 10;  // each repeat runs the operation for at least this long
  double warmup_ms = 30;      // after the first call, run for at least this long untimed
};

Timing measure(const std::function<void()>& op, const TimingOptions& options);

// Median of values (copied; the middle two averaged for an even count). 0 for none.
double median(std::vector<double> values);

}  // namespace bnlab
