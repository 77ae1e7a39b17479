// Ctrl-C and friends while a sweep runs. While a StopSignals object lives, the first SIGINT,
// SIGTERM or SIGHUP is caught and remembered (the runner then stops starting runs, passes the
// signal to its children and waits for them); the handler is then reset, so a second one ends
// the process at once (children die with it: they ask for SIGKILL when their parent dies).
#pragma once

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
};

}  // namespace bnlab
