// Faults a cluster throws at a sweep: I/O errors name the real file and the OS reason and are
// retried on rerun (not persisted as failures that reruns skip), temporaries of dead writers are
// removed, and stop signals are handled on a thread of their own, never on a computing thread.
#include <catch2/catch.hpp>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/errors.hpp"
#include "experiment/run.hpp"
#include "experiment/stop_signals.hpp"
#include "results_test_util.hpp"

using namespace bnlab;
using bnlab::testing::csv_column;
using bnlab::testing::TempDir;
using bnlab::testing::test_options;
using bnlab::testing::tiny_experiment;
using bnlab::testing::write_text;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const IoError& e) {
    return e.what();
  }
  return "<no IoError>";
}

std::string host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

bool blocked_here(int sig) {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, sig) == 1;
}

}  // namespace

TEST_CASE("a write past the file size limit names the file and EFBIG, and leaves the old file", "[faults]") {
  TempDir tmp;
  const fs::path file = tmp.path() / "metrics.csv";
  write_file_atomic(file, "old");
  struct sigaction ignore {}, previous_action {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &previous_action);  // as bnlab's main does
  rlimit previous{};
  ::getrlimit(RLIMIT_FSIZE, &previous);
  rlimit small = previous;
  small.rlim_cur = 100;
  ::setrlimit(RLIMIT_FSIZE, &small);
  const std::string error = error_of([&] { write_file_atomic(file, std::string(1000, 'x')); });
  ::setrlimit(RLIMIT_FSIZE, &previous);
  ::sigaction(SIGXFSZ, &previous_action, nullptr);

  CHECK(error == "cannot write " + file.string() + ": File too large");
  CHECK(read_file(file) == "old");
  for (const auto& entry : fs::directory_iterator(tmp.path())) CHECK_FALSE(is_temporary(entry.path()));
}

TEST_CASE("I/O errors give the OS reason and the real path, never the temporary or 'Success'", "[faults]") {
  TempDir tmp;
  const fs::path missing = tmp.path() / "no_such.json";
  CHECK(error_of([&] { read_file(missing); }) == "cannot read " + missing.string() + ": No such file or directory");

  fs::create_directories(tmp.path() / "metrics.csv" / "inside");  // a folder where the file should go
  const std::string error = error_of([&] { write_file_atomic(tmp.path() / "metrics.csv", "step\n"); });
  CHECK(error == "cannot rename into place " + (tmp.path() / "metrics.csv").string() + ": Is a directory");
  CHECK_THAT(error, !Catch::Contains(".tmp.") && !Catch::Contains("Success"));

  write_text(tmp.path() / "plain_file", "");
  const std::string nested = error_of([&] { write_file_atomic(tmp.path() / "plain_file" / "x.csv", ""); });
  CHECK_THAT(nested, Catch::StartsWith("cannot create " + (tmp.path() / "plain_file").string() + ": "));
  CHECK_THAT(nested, Catch::Contains("Not a directory"));
}

TEST_CASE("only failures with error_kind io are transient", "[faults]") {
  CHECK(is_transient_failure({{"status", "failed"}, {"error_kind", "io"}}));
  CHECK_FALSE(is_transient_failure({{"status", "failed"}, {"error_kind", "crash"}}));
  CHECK_FALSE(is_transient_failure({{"status", "failed"}, {"error_kind", "config"}}));
  CHECK_FALSE(is_transient_failure({{"status", "failed"}}));
  CHECK_FALSE(is_transient_failure({{"status", "ok"}, {"error_kind", "io"}}));
}

TEST_CASE("a run that cannot write its results fails with kind io, exit 4, and every rerun retries it", "[faults][runner]") {
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2]})");
  const auto plan = expand(e);
  for (int jobs : {1, 2}) {
    INFO("jobs " << jobs);
    TempDir tmp;
    const fs::path run_dir = tmp.path() / "tiny" / "runs" / plan[0].run_id;
    fs::create_directories(run_dir / "metrics.csv" / "blocker");  // metrics.csv cannot be renamed into place
    const auto report = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(report.exit_status == kExitIoError);
    const json status = read_status(run_dir);
    CHECK(status["status"] == "failed");
    CHECK(status["error_kind"] == "io");
    CHECK(status["error"] == "cannot rename into place " + (run_dir / "metrics.csv").string() + ": Is a directory");

    // Still broken: retried (not skipped as failed) and failing again.
    const auto again = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(again.ran == std::vector<std::string>{plan[0].run_id});
    CHECK(again.exit_status == kExitIoError);

    // Fixed: the plain rerun, without --retry-failed, finishes it.
    fs::remove_all(run_dir / "metrics.csv");
    const auto fixed = run_experiment(e, test_options(tmp.path(), jobs));
    CHECK(fixed.ran == std::vector<std::string>{plan[0].run_id});
    CHECK(fixed.exit_status == 0);
    CHECK(csv_column(tmp.path() / "tiny" / "runs.csv", "status") == std::vector<std::string>{"ok", "ok"});
  }
}

TEST_CASE("a failed run of another kind is still skipped on rerun", "[faults][runner]") {
  TempDir tmp;
  const Experiment e = tiny_experiment(R"({"train.seed": [1, 2]})");
  const auto plan = expand(e);
  REQUIRE(run_experiment(e, test_options(tmp.path())).exit_status == 0);
  record_failed_run(tmp.path() / "tiny" / "runs" / plan[0].run_id, "crashed: signal 11", "crash", 1.0);
  record_failed_run(tmp.path() / "tiny" / "runs" / plan[1].run_id, "cannot write x: No space left on device", "io", 1.0);
  const auto report = run_experiment(e, test_options(tmp.path()));
  CHECK(report.ran == std::vector<std::string>{plan[1].run_id});
  CHECK(report.exit_status == 1);
}

TEST_CASE("temporaries of dead processes on this host are removed, live and foreign ones kept", "[faults]") {
  TempDir tmp;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // a pid that no longer runs
  const fs::path dead = tmp.path() / (".runs.csv.tmp." + host() + "-" + std::to_string(child));
  const fs::path mine = tmp.path() / (".runs.csv.tmp." + host() + "-" + std::to_string(::getpid()));
  const fs::path foreign = tmp.path() / ".runs.csv.tmp.some-other-host-1";
  for (const auto& p : {dead, mine, foreign}) write_text(p, "partial");
  CHECK(is_dead_temporary(dead));
  remove_dead_temporaries(tmp.path());
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(mine));
  CHECK(fs::exists(foreign));
}

TEST_CASE("stop signals are caught on a watcher thread: this thread and its new threads block them", "[faults][signals]") {
  REQUIRE_FALSE(blocked_here(SIGINT));
  {
    StopSignals stop;
    CHECK(blocked_here(SIGINT));
    CHECK(blocked_here(SIGTERM));
    bool worker_blocked = false;
    std::thread([&] { worker_blocked = blocked_here(SIGINT); }).join();  // as OpenMP's workers
    CHECK(worker_blocked);

    ::kill(::getpid(), SIGINT);  // process-directed, as Ctrl-C: delivered to the watcher
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!stop.received() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(stop.received() == SIGINT);
    pollfd fd{stop.fd(), POLLIN, 0};
    CHECK(::poll(&fd, 1, 0) == 1);
  }
  CHECK_FALSE(blocked_here(SIGINT));
}
