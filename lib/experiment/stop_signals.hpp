// Ctrl-C and friends while a sweep runs. While a StopSignals object lives, the first SIGINT,
// SIGTERM or SIGHUP is caught and remembered (the runner then stops starting runs, passes the
// signal to its children and waits for them); the handler is then reset, so a second one ends
// the process at once (children die with it: they ask for SIGKILL when their parent dies).
// The handler runs only on a watcher thread of its own, never on a thread computing (see the .cpp:
// oneDNN's GEMM kernels cannot be interrupted by a handler), so the StopSignals must be created
// before the threads that compute: those inherit the blocked signals.
#pragma once

#include <signal.h>

#include <thread>

namespace bnlab {

class StopSignals {
 public:
  StopSignals();   // installs the handlers (one StopSignals at a time)
  ~StopSignals();  // restores the previous handlers
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The first signal caught, 0 if none.
  int received() const;
  // Readable once a signal was caught (for poll()).
  int fd() const;

 private:
  std::thread watcher_;          // where the signals are delivered
  int wake_[2] = {-1, -1};       // ends the watcher
  sigset_t previous_mask_{};     // of the creating thread
};

}  // namespace bnlab
