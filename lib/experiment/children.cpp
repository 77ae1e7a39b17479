#include "experiment/children.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <sstream>

#include "experiment/process.hpp"
#include "experiment/run.hpp"
#include "experiment/runner.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kKeptLogLines = 5;  // a crashed child's last lines go into its error

struct Slot {
  PlannedRun run;
  fs::path dir;
  ChildProcess child;
  std::chrono::steady_clock::time_point start;
  std::string log_buffer, message_buffer;
  std::deque<std::string> last_lines;
  bool log_open = true, message_open = true;
};

class ChildPool {
 public:
  ChildPool(const fs::path& runs_dir, const ChildOptions& options, Progress& progress, const RunFinishedFn& on_finished)
      : runs_dir_(runs_dir), options_(options), progress_(progress), on_finished_(on_finished) {}

  ~ChildPool() {  // only reached with children left on an exception: do not leave them running
    for (auto& slot : slots_) {
      ::kill(slot.child.pid, SIGKILL);
      ::waitpid(slot.child.pid, nullptr, 0);
      close_fds(slot);
    }
  }

  std::size_t running() const { return slots_.size(); }

  void start(const PlannedRun& run) {
    const fs::path dir = runs_dir_ / run.run_id;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      prepare_run_dir(dir, run);
    } catch (const std::exception& e) {  // its folder cannot be written: an I/O fault, retried on rerun
      fail_without_child(run, dir, e.what(), "io", t0);
      return;
    }
    try {
      std::vector<std::string> args = {"exec-run", dir.string(), "--threads", std::to_string(options_.threads),
                                       "--parent-pid", std::to_string(::getpid())};
      if (spdlog::should_log(spdlog::level::debug)) args.push_back("-v");
      const ChildProcess child =
          spawn_child(options_.executable, args, {"OMP_NUM_THREADS=" + std::to_string(options_.threads)});
      slots_.push_back({run, dir, child, t0, {}, {}, {}, true, true});
      progress_.started(run);
      progress_.log(spdlog::level::debug, fmt::format("run {}: started as process {}", run.run_id, child.pid));
    } catch (const std::exception& e) {
      fail_without_child(run, dir, e.what(), "spawn", t0);
    }
  }

  // Waits up to `timeout_ms` for output of the children (or for `stop_fd`) and handles it.
  void wait_for_output(int stop_fd, int timeout_ms) {
    std::vector<pollfd> fds;
    if (stop_fd >= 0) fds.push_back({stop_fd, POLLIN, 0});
    for (const auto& slot : slots_) {
      if (slot.log_open) fds.push_back({slot.child.log_fd, POLLIN, 0});
      if (slot.message_open) fds.push_back({slot.child.message_fd, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), timeout_ms);  // EINTR (a signal) just ends the wait early
    for (auto& slot : slots_) read_output(slot);
  }

  // Reaps the children that ended. `stopping`: a stop signal was received, so a child that ended
  // without status.json was cut short (unfinished), not crashed.
  void reap(bool stopping) {
    for (std::size_t i = 0; i < slots_.size();) {
      Slot& slot = slots_[i];
      int wait_status = 0;
      // Both pipes closed: the child is exiting, wait for it; otherwise only look.
      const pid_t pid = ::waitpid(slot.child.pid, &wait_status, slot.log_open || slot.message_open ? WNOHANG : 0);
      if (pid == slot.child.pid || (pid < 0 && errno != EINTR)) {
        read_output(slot);
        finish(slot, pid == slot.child.pid ? wait_status : -1, stopping);
        slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    progress_.refresh();
  }

  void signal_all(int sig) {
    for (const auto& slot : slots_) ::kill(slot.child.pid, sig);
  }

 private:
  void read_output(Slot& slot) {
    std::vector<std::string> lines;
    if (slot.log_open) {
      slot.log_open = read_lines(slot.child.log_fd, slot.log_buffer, lines);
      for (auto& line : lines) {
        progress_.print("run " + slot.run.run_id + ": " + line);
        slot.last_lines.push_back(std::move(line));
        if (slot.last_lines.size() > kKeptLogLines) slot.last_lines.pop_front();
      }
    }
    if (slot.message_open) {
      lines.clear();
      slot.message_open = read_lines(slot.child.message_fd, slot.message_buffer, lines);
      for (const auto& line : lines) {
        std::istringstream in(line);
        std::string word;
        std::int64_t step = 0, total = 0;
        if (in >> word >> step >> total && word == "progress") progress_.step(slot.run.run_id, step, total);
      }
    }
  }

  void finish(Slot& slot, int wait_status, bool stopping) {
    close_fds(slot);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - slot.start).count();
    json status = read_status(slot.dir);
    if (status.is_object()) {  // the child wrote it: the run finished (ok, diverged or failed)
      on_finished_(slot.run, status);
      return;
    }
    if (stopping) {  // cut short by our stop signal: unfinished, rerun next time
      progress_.abandoned(slot.run.run_id);
      return;
    }
    // A child that could not write its results (it even failed to write status.json: disk full)
    // exits with kExitIoError after printing the file and the reason: a transient failure.
    const bool io_error = wait_status != -1 && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == kExitIoError;
    std::string reason = wait_status == -1 ? "lost track of the child process"
                         : WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0
                             ? "exited without writing status.json"
                             : describe_wait_status(wait_status);
    if (io_error && !slot.last_lines.empty()) {  // "bnlab: cannot write FILE: REASON"
      reason = slot.last_lines.back();
      if (reason.rfind("bnlab: ", 0) == 0) reason.erase(0, 7);
    }
    else if (!slot.last_lines.empty()) reason += "; last output: " + slot.last_lines.back();
    try {
      status = record_failed_run(slot.dir, reason, io_error ? "io" : "crash", wall_s);
    } catch (const std::exception& e) {
      status = {{"status", "failed"}, {"error", reason + " (and " + e.what() + ")"}, {"error_kind", "io"}};
    }
    on_finished_(slot.run, status);
  }

  void fail_without_child(const PlannedRun& run, const fs::path& dir, const std::string& error, const char* kind,
                          std::chrono::steady_clock::time_point t0) {
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    json status = {{"status", "failed"}, {"error", error}, {"error_kind", kind}};
    try {
      status = record_failed_run(dir, error, kind, wall_s);
    } catch (const std::exception&) {
    }
    on_finished_(run, status);
  }

  static void close_fds(Slot& slot) {
    for (int* fd : {&slot.child.log_fd, &slot.child.message_fd}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    slot.log_open = slot.message_open = false;
  }

  fs::path runs_dir_;
  ChildOptions options_;
  Progress& progress_;
  const RunFinishedFn& on_finished_;
  std::vector<Slot> slots_;
};

}  // namespace

void run_in_children(const std::vector<PlannedRun>& runs, const fs::path& runs_dir, const ChildOptions& options,
                     Progress& progress, const StopSignals& stop, const BeginRunFn& begin,
                     const RunFinishedFn& on_finished) {
  ChildPool pool(runs_dir, options, progress, on_finished);
  std::size_t next = 0;
  bool stopping = false;
  for (;;) {
    while (!stopping && pool.running() < static_cast<std::size_t>(options.jobs) && next < runs.size()) {
      const PlannedRun& run = runs[next++];
      if (begin(run)) pool.start(run);
    }
    if (pool.running() == 0) break;
    pool.wait_for_output(stopping ? -1 : stop.fd(), 200);
    // Before reaping: children killed by the same Ctrl-C (the terminal signals the whole process
    // group) must count as cut short, not as crashed. The signal was delivered to this process
    // before poll returned, so received() already tells.
    if (!stopping && stop.received()) {
      stopping = true;
      progress.log(spdlog::level::warn, fmt::format("{}: stopping; {} running runs are left unfinished and rerun next "
                                                    "time (a second signal kills them at once)",
                                                    ::strsignal(stop.received()), pool.running()));
      pool.signal_all(stop.received());
    }
    pool.reap(stopping);
  }
}

}  // namespace bnlab
