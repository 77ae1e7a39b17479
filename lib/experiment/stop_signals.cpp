#include "experiment/stop_signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace bnlab {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> g_received{0};
int g_pipe[2] = {-1, -1};
struct sigaction g_previous[3];

void on_signal(int sig) {
  int expected = 0;
  g_received.compare_exchange_strong(expected, sig);
  const int saved_errno = errno;
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kSignals) sigaddset(&set, sig);
  return set;
}

}  // namespace

StopSignals::StopSignals() {
  g_received = 0;
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &action, &g_previous[i]);

  // Block the signals in this thread, and so in every thread it starts from now on (OpenMP's and
  // oneDNN's workers inherit the mask), and leave them open only in the watcher thread: the kernel
  // then delivers them there. A handler must never run on a thread inside a oneDNN kernel: the JIT
  // GEMM kernels of oneDNN < 3.11.1 point rsp into a heap buffer while they run, so the signal
  // frame the kernel pushes overwrites the heap ("free(): invalid next size" in evaluation;
  // oneDNN issue #4845, fixed by PR #4855; Debian 12 ships 2.6).
  if (wake_[0] < 0) return;  // no watcher without its wake-up pipe: handlers run on any thread, as before
  const sigset_t set = stop_set();
  ::pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  watcher_ = std::thread([wake = wake_[0]] {
    const sigset_t open = stop_set();
    ::pthread_sigmask(SIG_UNBLOCK, &open, nullptr);
    pollfd fd{wake, POLLIN, 0};
    // A handled signal interrupts poll (EINTR): wait again. Wakes for good when the destructor writes.
    while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
    }
  });
}

StopSignals::~StopSignals() {
  if (wake_[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(wake_[1], &byte, 1);
  }
  if (watcher_.joinable()) watcher_.join();
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  if (wake_[0] >= 0) ::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  for (int* fds : {g_pipe, wake_})
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) ::close(fds[i]);
      fds[i] = -1;
    }
}

int StopSignals::received() const { return g_received.load(); }
int StopSignals::fd() const { return g_pipe[0]; }

}  // namespace bnlab
