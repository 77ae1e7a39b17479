// Run states from a results folder (rules in sweep_status.hpp).
#include "experiment/sweep_status.hpp"

#include <algorithm>

#include "experiment/run.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

const char* to_string(SweepRunState state) {
  switch (state) {
    case SweepRunState::done: return "done";
    case SweepRunState::diverged: return "diverged";
    case SweepRunState::failed: return "failed";
    case SweepRunState::running: return "running";
    case SweepRunState::missing: return "missing";
  }
  return "missing";
}

std::size_t SweepStatus::count(SweepRunState state) const {
  return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [&](const RunStatus& r) { return r.state == state; }));
}

std::string one_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 200) line = line.substr(0, 197) + "...";
  return line;
}

namespace {

RunStatus status_of(const fs::path& run_dir, std::int64_t now) {
  RunStatus out;
  out.run_id = run_dir.filename().string();
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) return out;  // missing
  const json status = read_status(run_dir);
  const std::string state = status.is_object() ? status.value("status", "") : "";
  if (state == "ok") out.state = SweepRunState::done;
  else if (state == "diverged") out.state = SweepRunState::diverged;
  else if (state == "failed") {
    out.state = SweepRunState::failed;
    out.error = one_line(status.value("error", "no reason recorded"));
    out.error_kind = status.value("error_kind", "");
  } else if (auto claim = read_claim(run_dir)) {
    out.state = SweepRunState::running;
    out.stale = is_stale(*claim, now);
    out.claim = std::move(claim);
  }
  return out;
}

}  // namespace

SweepStatus sweep_status(const fs::path& experiment_dir, const std::vector<PlannedRun>* plan, std::int64_t now) {
  SweepStatus out;
  const fs::path runs = experiment_dir / "runs";
  if (plan) {
    out.planned = true;
    for (const auto& run : *plan) {
      RunStatus s = status_of(runs / run.run_id, now);
      s.index = run.index;
      out.runs.push_back(std::move(s));
    }
    return out;
  }
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::directory_iterator it(runs, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && it->path().filename().string().front() != '.') dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) out.runs.push_back(status_of(d, now));
  return out;
}

std::string status_text(const SweepStatus& status, const std::string& dir_name, std::int64_t now) {
  const auto n = [&](SweepRunState s) { return std::to_string(status.count(s)); };
  std::string out = dir_name + ": " + std::to_string(status.runs.size()) +
                    (status.planned ? " runs in the plan: " : " run folders: ") + n(SweepRunState::done) + " done, " +
                    n(SweepRunState::diverged) + " diverged, " + n(SweepRunState::failed) + " failed, " + n(SweepRunState::running) +
                    " running, " + n(SweepRunState::missing) + (status.planned ? " missing" : " unfinished") + "\n";
  const auto label = [](const RunStatus& r) {
    return r.run_id + (r.index ? " (run " + std::to_string(*r.index) + ")" : "");
  };
  for (const auto& r : status.runs)
    if (r.state == SweepRunState::running) {
      out += "running " + label(r) + ": " + describe_holder(*r.claim) + ", heartbeat " +
             std::to_string(std::max<std::int64_t>(0, now - r.claim->heartbeat)) + " s ago" +
             (r.stale ? " (stale: its process is gone or silent; a rerun takes it over)" : "") + "\n";
    }
  for (const auto& r : status.runs)
    if (r.state == SweepRunState::failed)
      out += "failed " + label(r) + ": " + (r.error_kind.empty() ? "" : r.error_kind + " error: ") + r.error + "\n";
  return out;
}

json status_json(const SweepStatus& status, std::int64_t now) {
  json counts = json::object();
  for (SweepRunState s : {SweepRunState::done, SweepRunState::diverged, SweepRunState::failed, SweepRunState::running, SweepRunState::missing})
    counts[to_string(s)] = status.count(s);
  json runs = json::array();
  for (const auto& r : status.runs) {
    json run = {{"run_id", r.run_id}, {"state", to_string(r.state)}};
    if (r.index) run["index"] = *r.index;
    if (r.state == SweepRunState::failed) {
      run["error"] = r.error;
      run["error_kind"] = r.error_kind;
    }
    if (r.claim) {
      run["holder"] = describe_holder(*r.claim);
      run["heartbeat"] = r.claim->heartbeat;
      run["heartbeat_age_s"] = std::max<std::int64_t>(0, now - r.claim->heartbeat);
      run["stale"] = r.stale;
    }
    runs.push_back(std::move(run));
  }
  return {{"planned", status.planned}, {"runs_total", status.runs.size()}, {"counts", counts}, {"runs", runs}};
}

}  // namespace bnlab
