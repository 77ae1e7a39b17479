#include "experiment/run_claim.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/errors.hpp"
#include "experiment/files.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kClaimFile = "claim.json";

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

const std::string& host_name() {
  static const std::string name = [] {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return std::string(buf);
  }();
  return name;
}

std::optional<RunClaim> read_claim_file(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  RunClaim claim;
  try {
    const json j = json::parse(read_file(file));
    claim.holder = j.at("holder").get<std::string>();
    claim.host = j.at("host").get<std::string>();
    claim.pid = j.at("pid").get<long>();
    claim.started = j.at("started").get<std::int64_t>();
    claim.heartbeat = j.at("heartbeat").get<std::int64_t>();
  } catch (const std::exception&) {  // hand-edited or damaged (also: removed after the stat)
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    claim = RunClaim{};
    claim.malformed = true;
    claim.heartbeat = static_cast<std::int64_t>(st.st_mtime);
  }
  return claim;
}

// Creates `file` with `text` only if it does not exist: write a temporary, hard-link it. False if
// the file exists (or the temporary vanished: another holder cleaned the folder).
bool create_exclusive(const fs::path& file, const std::string& text) {
  std::string tmp_name = ".";  // appended, not "." + ...: GCC 12 warns falsely on that (-Wstringop-overflow)
  tmp_name.append(file.filename().string()).append(".tmp.").append(host_name()).append("-");
  tmp_name.append(std::to_string(::getpid()));
  const fs::path tmp = file.parent_path() / tmp_name;
  {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError("cannot write " + tmp.string() + ": " + std::strerror(errno));
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) {
      ::unlink(tmp.c_str());
      throw IoError("cannot write " + tmp.string() + ": " + std::strerror(saved));
    }
  }
  bool created = ::link(tmp.c_str(), file.c_str()) == 0;
  const int link_errno = errno;
  if (!created && link_errno != EEXIST && link_errno != ENOENT) {
    struct stat st {};  // NFS: the link may have been made although its reply was lost
    created = ::stat(tmp.c_str(), &st) == 0 && st.st_nlink == 2;
    if (!created) {
      ::unlink(tmp.c_str());
      throw IoError("cannot create " + file.string() + ": " + std::strerror(link_errno));
    }
  }
  ::unlink(tmp.c_str());
  return created;
}

bool same_claim(const RunClaim& a, const RunClaim& b) {
  return a.malformed == b.malformed && a.holder == b.holder && a.heartbeat == b.heartbeat;
}

}  // namespace

const std::string& this_holder() {
  static const std::string holder = [] {
    const auto start = std::chrono::system_clock::now().time_since_epoch();
    return host_name() + ":" + std::to_string(::getpid()) + ":" +
           std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(start).count());
  }();
  return holder;
}

RunClaim new_claim() {
  RunClaim claim;
  claim.holder = this_holder();
  claim.host = host_name();
  claim.pid = static_cast<long>(::getpid());
  claim.started = claim.heartbeat = now_unix();
  return claim;
}

std::string claim_json(const RunClaim& c) {
  return json{{"format", 1},          {"holder", c.holder},       {"host", c.host},
              {"pid", c.pid},         {"started", c.started},     {"heartbeat", c.heartbeat}}
             .dump() + "\n";
}

std::optional<RunClaim> read_claim(const fs::path& run_dir) { return read_claim_file(run_dir / kClaimFile); }

bool is_stale(const RunClaim& claim, std::int64_t now) {
  if (now - claim.heartbeat > kClaimStaleAfter.count()) return true;
  if (claim.malformed || claim.host != host_name() || claim.pid <= 0) return false;
  return ::kill(static_cast<pid_t>(claim.pid), 0) != 0 && errno == ESRCH;
}

std::string describe_holder(const RunClaim& claim) {
  return claim.malformed ? "an unreadable claim.json" : claim.host + ":" + std::to_string(claim.pid);
}

bool holds_claim(const fs::path& run_dir) {
  const auto claim = read_claim(run_dir);
  return claim && !claim->malformed && claim->holder == this_holder();
}

ClaimAttempt try_claim(const fs::path& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) throw IoError("cannot create " + run_dir.string() + ": " + ec.message());
  const fs::path file = run_dir / kClaimFile;
  ClaimAttempt attempt;
  std::optional<RunClaim> replaced;
  for (int tries = 0; tries < 5; ++tries) {
    RunClaim mine = new_claim();
    if (create_exclusive(file, claim_json(mine))) {
      if (replaced) attempt = {ClaimOutcome::taken_over, *replaced};
      return attempt;
    }
    const auto existing = read_claim_file(file);
    if (!existing) continue;  // released in between: try again
    if (!existing->malformed && existing->holder == this_holder()) return attempt;  // already ours
    if (!is_stale(*existing, now_unix())) return {ClaimOutcome::held_by_other, *existing};
    // Take over: move the stale claim aside; of two takers only one rename succeeds.
    const fs::path aside = run_dir / (".claim.json.tmp.stale-" + host_name() + "-" + std::to_string(::getpid()));
    if (::rename(file.c_str(), aside.c_str()) != 0) continue;  // another taker was first
    const auto moved = read_claim_file(aside);
    if (moved && !same_claim(*moved, *existing)) {
      // We moved a claim made after our look (another taker's, live): put it back and step aside.
      ::link(aside.c_str(), file.c_str());
      ::unlink(aside.c_str());
      return {ClaimOutcome::held_by_other, *moved};
    }
    ::unlink(aside.c_str());
    replaced = existing;
  }
  const auto last = read_claim_file(file);
  return {ClaimOutcome::held_by_other, last ? *last : RunClaim{}};
}

bool refresh_claim(const fs::path& run_dir) {
  auto claim = read_claim(run_dir);
  if (!claim || claim->malformed || claim->holder != this_holder()) return false;
  claim->heartbeat = now_unix();
  write_file_atomic(run_dir / kClaimFile, claim_json(*claim));
  return true;
}

void release_claim(const fs::path& run_dir) {
  if (!holds_claim(run_dir)) return;
  // While the folder is ours nobody else writes in it: temporaries left are a killed process's
  // (a claim attempt or a heartbeat cut short), never cleaned otherwise once the run is finished.
  remove_stale_temporaries(run_dir);
  ::unlink((run_dir / kClaimFile).c_str());
}

ClaimKeeper::ClaimKeeper(std::chrono::milliseconds period) : thread_([this, period] { heartbeat_loop(period); }) {}

ClaimKeeper::~ClaimKeeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (const auto& dir : held_) {
    try {
      release_claim(dir);
    } catch (const std::exception&) {  // a destructor must not throw; the claim goes stale
    }
  }
}

ClaimAttempt ClaimKeeper::acquire(const fs::path& run_dir) {
  std::lock_guard lock(mutex_);
  const ClaimAttempt attempt = try_claim(run_dir);
  if (attempt.outcome != ClaimOutcome::held_by_other) held_.insert(run_dir);
  return attempt;
}

void ClaimKeeper::release(const fs::path& run_dir) {
  std::lock_guard lock(mutex_);
  if (held_.erase(run_dir)) release_claim(run_dir);
}

std::size_t ClaimKeeper::held() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

void ClaimKeeper::heartbeat_loop(std::chrono::milliseconds period) {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    for (auto it = held_.begin(); it != held_.end();) {
      bool ours = true;
      try {
        ours = refresh_claim(*it);
      } catch (const std::exception& e) {  // transient (disk full, NFS hiccup): try again next period
        spdlog::warn("cannot refresh the claim of {}: {}", it->string(), e.what());
      }
      if (ours) {
        ++it;
        continue;
      }
      spdlog::warn("the claim of {} was taken over by another process (was this one stopped for over {} s?); "
                   "its results may be overwritten", it->string(), kClaimStaleAfter.count());
      it = held_.erase(it);
    }
  }
}

}  // namespace bnlab
