// Who owns a run folder: runs/<run_id>/claim.json (docs/cli.md, "Resume"). A process claims a run before
// it cleans or runs it, keeps the claim alive with a heartbeat while the run goes on, and removes it
// once status.json is in place (or the run is abandoned). Other processes (a second `bnlab run` on
// the same folder, Slurm shards, a resubmitted array) skip runs with a live claim.
//
// claim.json, one JSON object (format 1):
//   {"format": 1, "holder": "<host>:<pid>:<start ns>", "host": "<host>", "pid": <pid>,
//    "started": <Unix seconds>, "heartbeat": <Unix seconds>}
// `holder` identifies one process (pid and host alone are not unique over time).
//
// Creation is atomic: the content is written to a temporary file and hard-linked to claim.json,
// which fails if it exists (link(2) is atomic on local file systems and on NFS, where the link
// count tells whether a link whose reply was lost succeeded; no flock/fcntl locks are used). So a
// claim.json is never seen half-written.
//
// A claim is stale when its heartbeat is older than kClaimStaleAfter, or when its holder runs on
// this host and its pid no longer exists. A stale claim is taken over by renaming it to a name
// unique to the taker (only one rename of a file can succeed), checking that what was moved is the
// claim judged stale (if it is a newer, live claim, it is put back), then claiming anew.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace bnlab {

inline constexpr std::chrono::seconds kClaimHeartbeat{10};   // how often a holder refreshes its claims
inline constexpr std::chrono::seconds kClaimStaleAfter{60};  // a heartbeat older than this is dead

struct RunClaim {
  std::string holder, host;
  long pid = 0;
  std::int64_t started = 0, heartbeat = 0;  // Unix seconds
  bool malformed = false;  // unreadable claim.json: `heartbeat` is then the file's modification time
};

// This process's holder id and a fresh claim of it (heartbeat now).
const std::string& this_holder();
RunClaim new_claim();

std::string claim_json(const RunClaim& claim);
// The claim of a run folder, or nothing when it has none.
std::optional<RunClaim> read_claim(const std::filesystem::path& run_dir);
bool is_stale(const RunClaim& claim, std::int64_t now_unix);
// "host:pid" of a claim, for messages.
std::string describe_holder(const RunClaim& claim);
// Whether this process holds the claim of `run_dir`.
bool holds_claim(const std::filesystem::path& run_dir);

enum class ClaimOutcome { acquired, taken_over, held_by_other };
struct ClaimAttempt {
  ClaimOutcome outcome = ClaimOutcome::acquired;
  RunClaim other;  // held_by_other: the live holder; taken_over: the stale claim replaced
};

// Claims `run_dir` (created if missing) for this process. Throws IoError when the folder or the
// claim cannot be written. Not thread-safe per folder: ClaimKeeper serializes its calls.
ClaimAttempt try_claim(const std::filesystem::path& run_dir);
// Writes a new heartbeat; false (and nothing written) if the claim is no longer this process's.
bool refresh_claim(const std::filesystem::path& run_dir);
// Removes the claim if this process holds it, and the temporaries of killed processes in the folder.
void release_claim(const std::filesystem::path& run_dir);

// The claims of one `bnlab run`: acquires them, refreshes their heartbeats from a thread every
// kClaimHeartbeat, and releases every one still held when destroyed.
class ClaimKeeper {
 public:
  explicit ClaimKeeper(std::chrono::milliseconds period = kClaimHeartbeat);
  ~ClaimKeeper();
  ClaimKeeper(const ClaimKeeper&) = delete;
  ClaimKeeper& operator=(const ClaimKeeper&) = delete;

  ClaimAttempt acquire(const std::filesystem::path& run_dir);
  void release(const std::filesystem::path& run_dir);
  std::size_t held() const;

 private:
  void heartbeat_loop(std::chrono::milliseconds period);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::set<std::filesystem::path> held_;
  std::thread thread_;
};

}  // namespace bnlab
