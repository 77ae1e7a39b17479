// The runner's parallel mode: each run in a child process `<executable> exec-run RUN_DIR` (see
// cli/exec_run.cpp), at most `jobs` at once. The parent prepares each run folder, starts the child,
// shows its progress (lines "progress STEP TOTAL" on the child's fd 3) and relays its log lines
// (stdout/stderr); when a child ends without having written status.json, the parent writes it as
// failed with the reason ("crashed: signal 11 (Segmentation fault)"). Used by runner.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <vector>

#include "experiment/progress.hpp"
#include "experiment/stop_signals.hpp"
#include "experiment/sweep.hpp"

namespace bnlab {

struct ChildOptions {
  std::filesystem::path executable;
  int jobs = 2;
  int threads = 1;  // per child: --threads and OMP_NUM_THREADS
};

// Called with each run that ended and its status.json content.
using RunFinishedFn = std::function<void(const PlannedRun&, const nlohmann::json&)>;
// Called before a run starts: true when this process claimed it and it is still to be run (the
// runner's claim and second look, runner.cpp); false skips it.
using BeginRunFn = std::function<bool(const PlannedRun&)>;

// Runs those of `runs` that `begin` accepts (folders under `runs_dir`). On a stop signal starts no
// more runs, passes the signal to the running children and waits for them; the runs they were
// running keep no status.json.
void run_in_children(const std::vector<PlannedRun>& runs, const std::filesystem::path& runs_dir,
                     const ChildOptions& options, Progress& progress, const StopSignals& stop,
                     const BeginRunFn& begin, const RunFinishedFn& on_finished);

}  // namespace bnlab
