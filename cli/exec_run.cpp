// bnlab exec-run RUN_DIR --threads T --parent-pid PID [-v]: the child process of `bnlab run --jobs N`
// (lib/experiment/children.hpp). Not for people, so hidden from --help. It runs the run prepared in
// RUN_DIR (config.json, plan.json), writes metrics.csv and status.json, sends "progress STEP TOTAL"
// lines to fd 3 when that is open, logs to stderr (warnings only unless -v), and exits 0 once
// status.json is written — whatever the run's status. It dies with its parent.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "core/runtime.hpp"
#include "experiment/process.hpp"
#include "experiment/run.hpp"

namespace bnlab::cli {

namespace {

struct ExecRunOptions {
  std::string dir;
  int threads = 1;
  long parent_pid = 0;
  int verbose = 0;
};

int exec_run(const ExecRunOptions& o) {
  // A kill -9 of the parent must not leave this process writing into the results: ask for SIGKILL
  // when the parent dies, then make sure it did not die before we asked.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (o.parent_pid > 0 && ::getppid() != static_cast<pid_t>(o.parent_pid)) return kRunFailed;
  set_num_threads(o.threads);  // before any oneDNN work
  setup_logging(o.verbose ? 1 : -1);

  const bool has_pipe = ::fcntl(kChildMessageFd, F_GETFD) != -1;
  const ProgressFn progress = [](std::int64_t step, std::int64_t total) {
    const std::string line = "progress " + std::to_string(step) + " " + std::to_string(total) + "\n";
    // the parent may be gone
    [[maybe_unused]] const auto n = ::write(kChildMessageFd, line.data(), line.size());
  };
  return guarded([&] {
    DataCache cache;
    execute_run(o.dir, cache, o.threads, has_pipe ? progress : ProgressFn());
    return static_cast<int>(kOk);
  });
}

}  // namespace

void setup_exec_run(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExecRunOptions>();
  auto* cmd = app.add_subcommand("exec-run", "");
  cmd->group("");  // hidden: started by `bnlab run --jobs N`
  cmd->add_option("dir", o->dir, "Prepared run folder")->required();
  cmd->add_option("--threads", o->threads, "oneDNN threads")->check(CLI::Range(1, 1024));
  cmd->add_option("--parent-pid", o->parent_pid, "Process id of the parent runner");
  cmd->add_flag("-v,--verbose", o->verbose, "Debug logging on stderr");
  cmd->callback([o, &exit_code] { exit_code = exec_run(*o); });
}

}  // namespace bnlab::cli
