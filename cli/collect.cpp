// bnlab collect DIR [CONFIG] [--set KEY=VALUE]...: rebuild DIR/runs.csv and DIR/metrics.csv from
// DIR/runs/*/ — the runs of CONFIG's plan (every shard), or with no CONFIG every run in the folder.
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "experiment/collect.hpp"
#include "experiment/sweep.hpp"

namespace bnlab::cli {

namespace {

struct CollectCliOptions {
  std::string dir;
  std::string config;
  std::vector<std::string> sets;
};

int run_collect(const CollectCliOptions& o) {
  CollectOptions scope;
  if (!o.config.empty()) {
    scope.run_ids.emplace();
    for (const auto& run : expand(load_experiment(o.config, o.sets))) scope.run_ids->insert(run.run_id);
  }
  const auto r = collect(o.dir, scope);
  spdlog::info("{}: {} {}runs collected ({} ok, {} diverged, {} failed), {} unfinished or damaged skipped", o.dir,
               r.runs, o.config.empty() ? "" : "of the plan's ", r.ok, r.diverged, r.failed, r.skipped);
  if (!r.differing_keys.empty()) {
    std::string keys;
    for (const auto& k : r.differing_keys) keys += (keys.empty() ? "" : ", ") + k;
    spdlog::warn("the merged runs differ in keys no sweep varies: {} (added as columns); `bnlab collect DIR CONFIG` "
                 "collects one config's runs",
                 keys);
  }
  if (r.other_plans)
    spdlog::warn("{} finished run{} of other plans left out; `bnlab collect {}` without a config merges every run",
                 r.other_plans, r.other_plans == 1 ? "" : "s", o.dir);
  return static_cast<int>(kOk);
}

}  // namespace

void setup_collect(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CollectCliOptions>();
  auto* cmd = app.add_subcommand("collect", "Rebuild DIR/runs.csv and DIR/metrics.csv from the run folders (a config's "
                                            "plan, or every run)");
  cmd->add_option("dir", o->dir, "Experiment results folder (<out>/<name>)")->required();
  cmd->add_option("config", o->config, "Collect only this config's runs (every shard); default: every run in DIR")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "Override a config key as for `run`: KEY=VALUE, repeatable");
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] { return run_collect(*o); });
  });
}

}  // namespace bnlab::cli
