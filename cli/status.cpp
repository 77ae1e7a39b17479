// bnlab status DIR [CONFIG] [--json] and bnlab clean DIR [CONFIG] [--failed] [--yes]: where a sweep
// stands, and removing runs that are not in the plan or failed (docs/cli.md, "Status and clean").
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "core/errors.hpp"
#include "experiment/clean.hpp"
#include "experiment/sweep_status.hpp"

namespace bnlab::cli {

namespace {

struct FolderOptions {
  std::string dir;
  std::string config;
  std::vector<std::string> sets;
  bool json = false;
  bool failed = false;
  bool yes = false;
};

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<std::vector<PlannedRun>> plan_of(const FolderOptions& o) {
  if (o.config.empty()) return std::nullopt;
  return expand(load_experiment(o.config, o.sets));
}

int run_status(const FolderOptions& o) {
  const auto plan = plan_of(o);
  std::error_code ec;
  if (!plan && !std::filesystem::is_directory(std::filesystem::path(o.dir) / "runs", ec))
    throw ConfigError(o.dir + ": no runs/ folder (not an experiment's results folder, or nothing ran yet)");
  const std::int64_t now = now_unix();
  const SweepStatus status = sweep_status(o.dir, plan ? &*plan : nullptr, now);
  if (o.json) std::cout << status_json(status, now).dump(2) << '\n';
  else std::cout << status_text(status, o.dir, now);
  return static_cast<int>(kOk);
}

int run_clean(const FolderOptions& o) {
  const auto plan = plan_of(o);
  CleanOptions options;
  options.plan = plan ? &*plan : nullptr;
  options.failed = o.failed;
  options.remove = o.yes;
  const CleanResult r = clean_runs(o.dir, options);
  for (const auto& e : r.runs)
    std::cout << (!e.holder.empty() ? "kept (held by " + e.holder + ")" : e.removed ? "removed" : "would remove") << ' '
              << e.run_id << ": " << e.reason << '\n';
  const std::size_t selected = r.runs.size() - r.held;
  if (o.yes) spdlog::info("{}: {} run{} removed, {} held by a running process kept", o.dir, r.removed,
                          r.removed == 1 ? "" : "s", r.held);
  else spdlog::info("{}: {} run{} would be removed ({} held by a running process would stay); --yes removes them",
                    o.dir, selected, selected == 1 ? "" : "s", r.held);
  return static_cast<int>(kOk);
}

CLI::App* folder_command(CLI::App& app, const char* name, const char* help, FolderOptions& o) {
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("dir", o.dir, "Experiment results folder (<out>/<name>)")->required();
  cmd->add_option("config", o.config, "The experiment's config: its plan says which runs belong")->check(CLI::ExistingFile);
  cmd->add_option("--set", o.sets, "Override a config key as for `run`: KEY=VALUE, repeatable");
  return cmd;
}

}  // namespace

void setup_status(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<FolderOptions>();
  auto* cmd = folder_command(app, "status",
                             "Count a sweep's runs done, diverged, failed, running (holder, heartbeat) and missing; "
                             "list running and failed ones", *o);
  cmd->add_flag("--json", o->json, "One JSON object on stdout: counts and every run's state");
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] { return run_status(*o); });
  });
}

void setup_clean(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<FolderOptions>();
  auto* cmd = folder_command(app, "clean",
                             "Remove runs not in CONFIG's plan, or --failed ones (a dry run without --yes); "
                             "never a run another process holds", *o);
  cmd->add_flag("--failed", o->failed, "Remove the failed runs (of CONFIG's plan when given) instead");
  cmd->add_flag("--yes", o->yes, "Remove them (default: only list what would go)");
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] { return run_clean(*o); });
  });
}

}  // namespace bnlab::cli
