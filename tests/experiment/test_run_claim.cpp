// Run claims (claim.hpp): creation, heartbeat, release, a live claim of another process respected,
// stale ones (old heartbeat, dead pid on this host, unreadable and old) taken over, and
// prepare_run_dir refusing a folder this process does not hold.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <thread>

#include "core/errors.hpp"
#include "experiment/run_claim.hpp"
#include "experiment/files.hpp"
#include "experiment/run.hpp"
#include "experiment/sweep.hpp"
#include "results_test_util.hpp"

using namespace bnlab;
using bnlab::testing::TempDir;
using bnlab::testing::tiny_experiment;
using bnlab::testing::write_text;
namespace fs = std::filesystem;

namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A claim of another process: `host` and `pid`, heartbeat `age` seconds ago.
RunClaim other_claim(const std::string& host, long pid, std::int64_t age) {
  RunClaim claim;
  claim.holder = host + ":" + std::to_string(pid) + ":42";
  claim.host = host;
  claim.pid = pid;
  claim.started = claim.heartbeat = now() - age;
  return claim;
}

void write_claim(const fs::path& run_dir, const RunClaim& claim) { write_text(run_dir / "claim.json", claim_json(claim)); }

// A pid that no process has: a child that exited and was reaped.
long dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return static_cast<long>(pid);
}

}  // namespace

TEST_CASE("a claim is created once, refreshed and released by its holder", "[claim]") {
  TempDir tmp;
  const fs::path run_dir = tmp.path() / "runs" / "aaaaaaaaaaaa";
  CHECK(try_claim(run_dir).outcome == ClaimOutcome::acquired);  // the folder is made
  const auto claim = read_claim(run_dir);
  REQUIRE(claim);
  CHECK(claim->holder == this_holder());
  CHECK(claim->pid == static_cast<long>(::getpid()));
  CHECK(std::abs(claim->heartbeat - now()) <= 2);
  CHECK(holds_claim(run_dir));
  CHECK(try_claim(run_dir).outcome == ClaimOutcome::acquired);  // already ours

  RunClaim old = *claim;
  old.heartbeat -= 30;
  write_claim(run_dir, old);
  CHECK(refresh_claim(run_dir));
  CHECK(read_claim(run_dir)->heartbeat >= now() - 2);

  release_claim(run_dir);
  CHECK_FALSE(fs::exists(run_dir / "claim.json"));
  CHECK_FALSE(holds_claim(run_dir));
  for (const auto& entry : fs::directory_iterator(run_dir)) CHECK_FALSE(is_temporary(entry.path()));
}

TEST_CASE("a live claim of another process is respected", "[claim]") {
  TempDir tmp;
  const fs::path run_dir = tmp.path() / "run";
  SECTION("on another host, with a recent heartbeat") {
    write_claim(run_dir, other_claim("elsewhere", 12345, 5));
  }
  SECTION("on this host, by a process that exists") {
    write_claim(run_dir, other_claim(new_claim().host, static_cast<long>(::getppid()), 5));
  }
  SECTION("unreadable, but written recently (a holder may still own it)") {
    write_text(run_dir / "claim.json", "{\"holder\": ");
  }
  const std::string before = read_file(run_dir / "claim.json");
  const ClaimAttempt attempt = try_claim(run_dir);
  CHECK(attempt.outcome == ClaimOutcome::held_by_other);
  CHECK_FALSE(refresh_claim(run_dir));
  release_claim(run_dir);
  CHECK(read_file(run_dir / "claim.json") == before);  // untouched
  CHECK_FALSE(holds_claim(run_dir));
}

TEST_CASE("a stale claim is taken over", "[claim]") {
  TempDir tmp;
  const fs::path run_dir = tmp.path() / "run";
  std::string stale_holder;
  SECTION("heartbeat older than the limit") {
    const RunClaim old = other_claim("elsewhere", 12345, kClaimStaleAfter.count() + 5);
    write_claim(run_dir, old);
    stale_holder = old.holder;
  }
  SECTION("holder on this host whose process is gone") {
    const RunClaim dead = other_claim(new_claim().host, dead_pid(), 1);
    write_claim(run_dir, dead);
    stale_holder = dead.holder;
  }
  SECTION("unreadable and not touched for longer than the limit") {
    write_text(run_dir / "claim.json", "garbage");
    fs::last_write_time(run_dir / "claim.json",
                        fs::last_write_time(run_dir / "claim.json") - kClaimStaleAfter - std::chrono::seconds(5));
  }
  const ClaimAttempt attempt = try_claim(run_dir);
  CHECK(attempt.outcome == ClaimOutcome::taken_over);
  CHECK(attempt.other.holder == stale_holder);
  CHECK(holds_claim(run_dir));
  for (const auto& entry : fs::directory_iterator(run_dir)) CHECK_FALSE(is_temporary(entry.path()));
}

TEST_CASE("prepare_run_dir cleans only a folder whose claim this process holds", "[claim]") {
  TempDir tmp;
  const auto plan = expand(tiny_experiment(R"({"train.seed": [1]})"));
  const fs::path run_dir = tmp.path() / plan[0].run_id;
  write_text(run_dir / "metrics.csv", "step\n10\n");
  write_text(run_dir / ".metrics.csv.tmp.otherhost-77", "step\n1");
  CHECK_THROWS_AS(prepare_run_dir(run_dir, plan[0]), IoError);  // no claim at all
  write_claim(run_dir, other_claim("elsewhere", 1, 0));
  CHECK_THROWS_WITH(prepare_run_dir(run_dir, plan[0]), Catch::Contains("does not hold its claim"));
  CHECK(fs::exists(run_dir / "metrics.csv"));
  CHECK(fs::exists(run_dir / ".metrics.csv.tmp.otherhost-77"));

  fs::remove(run_dir / "claim.json");
  REQUIRE(try_claim(run_dir).outcome == ClaimOutcome::acquired);
  prepare_run_dir(run_dir, plan[0]);
  CHECK_FALSE(fs::exists(run_dir / "metrics.csv"));
  CHECK_FALSE(fs::exists(run_dir / ".metrics.csv.tmp.otherhost-77"));  // a dead holder's temporary
  CHECK(fs::exists(run_dir / "config.json"));
  CHECK(holds_claim(run_dir));
}

TEST_CASE("the claim keeper refreshes heartbeats, notices a lost claim and releases the rest", "[claim]") {
  TempDir tmp;
  const fs::path kept = tmp.path() / "kept", lost = tmp.path() / "lost";
  {
    ClaimKeeper keeper(std::chrono::milliseconds(50));
    REQUIRE(keeper.acquire(kept).outcome == ClaimOutcome::acquired);
    REQUIRE(keeper.acquire(lost).outcome == ClaimOutcome::acquired);
    RunClaim old = *read_claim(kept);
    old.heartbeat -= 40;
    write_claim(kept, old);
    write_claim(lost, other_claim("elsewhere", 1, 0));  // as if taken over by another process
    for (int i = 0; i < 100 && keeper.held() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(keeper.held() == 1);
    CHECK(read_claim(kept)->heartbeat >= now() - 2);
    CHECK(read_claim(lost)->host == "elsewhere");
  }
  CHECK_FALSE(fs::exists(kept / "claim.json"));
  CHECK(read_claim(lost)->host == "elsewhere");  // not ours: left alone
}
