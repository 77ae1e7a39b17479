// What a sweep shows while it runs (docs/cli.md, "Progress"). On a terminal: one live line, redrawn in
// place, with runs done/total, running, failed, elapsed time, ETA and step/total of each current
// run; failed runs are logged above it, and finished ones too with -v. Elsewhere (a log file, a
// Slurm job): one plain log line per finished run. Logs go through spdlog to stderr; the live line
// is shown only when info messages are (so not with -q).
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/common.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "experiment/sweep.hpp"

namespace bnlab {

enum class ProgressMode {
  automatic,  // live when stderr is a terminal (and TERM is not "dumb"), else lines
  live,
  lines,
};

class Progress {
 public:
  // `total`: the runs this invocation will run (skipped ones excluded).
  Progress(ProgressMode mode, std::size_t total);
  ~Progress();  // clears the live line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void started(const PlannedRun& run);
  void step(const std::string& run_id, std::int64_t step, std::int64_t total);
  // Logs the outcome of a run (status.json's content) and counts it.
  void finished(const PlannedRun& run, const nlohmann::json& status);
  // A run that was stopped before it finished (Ctrl-C): it is no longer running.
  void abandoned(const std::string& run_id);
  // A run counted in `total` that will not run here after all (another process finished it).
  void skipped();
  // A log message that keeps the live line intact (drawn again below it).
  void log(spdlog::level::level_enum level, const std::string& text);
  // A line of text (a child's log line) written to stderr as it is, keeping the live line intact.
  void print(const std::string& text);
  // Redraws the live line if it is due (every 200 ms) or `now`.
  void refresh(bool now = false);

  std::size_t done() const { return done_; }
  std::size_t failed() const { return failed_; }
  bool live() const { return live_; }

 private:
  struct Running {
    std::string run_id;
    std::int64_t step = 0, total = 0;
  };
  std::string line() const;
  void clear();

  bool live_;
  std::size_t total_, done_ = 0, failed_ = 0;
  std::vector<Running> running_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

// "optimizer.lr=0.1 model.norm=batch": a run's swept values, for log lines.
std::string describe_swept(const PlannedRun& run);

}  // namespace bnlab
