// Seconds this process spent allocating tensors (Tensor's allocating constructor and
// allocate_unzeroed) rather than computing: a run reads the clock before and after its training
// steps and evaluations to report the buffer set-up they triggered apart (status.json build_s).
#pragma once

#include <cstdint>

namespace bnlab {

double setup_seconds();

// Adds the time from its construction to its destruction to setup_seconds().
class SetupClock {
 public:
  SetupClock();
  ~SetupClock();
  SetupClock(const SetupClock&) = delete;
  SetupClock& operator=(const SetupClock&) = delete;

 private:
  std::int64_t start_ns_;
};

}  // namespace bnlab
