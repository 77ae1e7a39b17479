// Removing runs that are not in a plan, or failed ones, never one another process holds.
#include "experiment/clean.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/errors.hpp"
#include "experiment/run_claim.hpp"
#include "experiment/sweep_status.hpp"

namespace bnlab {

namespace fs = std::filesystem;

CleanResult clean_runs(const fs::path& experiment_dir, const CleanOptions& options) {
  if (!options.plan && !options.failed)
    throw ConfigError("clean: say what to remove: a CONFIG (its plan's runs stay, the others go) or --failed");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::set<std::string> planned;
  if (options.plan)
    for (const auto& run : *options.plan) planned.insert(run.run_id);
  CleanResult out;
  for (const auto& run : sweep_status(experiment_dir, nullptr, now).runs) {
    CleanEntry entry{run.run_id, "", "", false};
    if (options.failed) {
      if (run.state != SweepRunState::failed || (options.plan && !planned.count(run.run_id))) continue;
      entry.reason = "failed: " + run.error;
    } else {
      if (planned.count(run.run_id)) continue;
      entry.reason = "not in the plan";
    }
    const fs::path dir = experiment_dir / "runs" / run.run_id;
    if (run.state == SweepRunState::running && !run.stale) entry.holder = describe_holder(*run.claim);
    if (entry.holder.empty() && options.remove) {
      const ClaimAttempt attempt = try_claim(dir);  // a run that started since the look is skipped
      if (attempt.outcome == ClaimOutcome::held_by_other) {
        entry.holder = describe_holder(attempt.other);
      } else {
        std::error_code ec;
        fs::remove_all(dir, ec);
        if (ec) throw IoError("cannot remove " + dir.string() + ": " + ec.message());
        entry.removed = true;
        ++out.removed;
      }
    }
    if (!entry.holder.empty()) ++out.held;
    out.runs.push_back(std::move(entry));
  }
  return out;
}

}  // namespace bnlab
