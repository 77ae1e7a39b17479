// bnlab run / bnlab plan: expand a config's sweep and run it (or print the plan).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "experiment/runner.hpp"
#include "experiment/sweep.hpp"
#include "experiment/verdict.hpp"

namespace bnlab::cli {

namespace {

struct RunOptions {
  std::string config;
  std::string out = "results";
  std::vector<std::string> sets;
  int jobs = 1;
  int threads = 0;
  std::string shard;
  bool shard_given = false;  // --shard '' is an error, not "no shard"
  bool force = false;
  bool retry_failed = false;
  bool dry_run = false;
  std::string note;
  std::vector<std::string> tags;
  int quiet = 0;
  int verbose = 0;
};

// The experiment's claims judged on the runs.csv just written (verdict.csv, verdict.md), one log
// line each: a sweep's answer at the end of its output.
void judge_and_log(const std::filesystem::path& dir, const std::vector<Claim>& claims) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "runs.csv", ec)) return;
  store_claims(dir, claims);
  for (const auto& r : write_verdict(dir, claims)) {
    spdlog::info("claim {}: {} ({} {:.4g}, 95% CI [{:.4g}, {:.4g}], n={}){}", r.claim.id, to_string(r.verdict),
                 r.claim.relative ? "ratio" : "estimate", r.estimate, r.ci_low, r.ci_high, r.result.difference.n,
                 r.note.empty() ? "" : "; " + r.note);
  }
  spdlog::info("verdicts: {}", (dir / "verdict.md").string());
}

int run(const RunOptions& o) {
  setup_logging(o.quiet ? -1 : o.verbose ? 1 : 0);
  return guarded([&] {
    const Experiment experiment = load_experiment(o.config, o.sets);
    RunnerOptions runner;
    runner.out = o.out;
    runner.jobs = o.jobs;
    runner.threads = o.threads;
    runner.force = o.force;
    runner.retry_failed = o.retry_failed;
    runner.annotations = {{"note", o.note}, {"tags", o.tags}, {"command_line", command_line()}};
    runner.shard = o.shard_given ? std::optional<Shard>(parse_shard(o.shard)) : shard_from_slurm_env();
    if (o.dry_run) {
      std::cout << plan_csv(select_shard(expand(experiment), runner.shard));
      return static_cast<int>(kOk);
    }
    const int status = run_experiment(experiment, runner).exit_status;
    if (!experiment.claims.empty()) judge_and_log(std::filesystem::path(o.out) / experiment.name, experiment.claims);
    return status;
  });
}

}  // namespace

void setup_run(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run every run of a config's sweep into <out>/<name>/ (finished runs are skipped)");
  cmd->add_option("config", o->config, "Experiment config (JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Results folder; the experiment writes to <out>/<name>/")->capture_default_str();
  cmd->add_option("--set", o->sets, "Override a config key before the sweep expands: KEY=VALUE (VALUE parsed as JSON "
                                    "when it parses), repeatable; e.g. --set train.steps=200");
  cmd->add_option("--jobs", o->jobs, "Runs at once, each in its own process when more than 1")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "oneDNN threads per run (default: cores / jobs, at least 1)")
      ->check(CLI::Range(1, 1024));
  auto* shard = cmd->add_option("--shard", o->shard,
                                "Run only runs i with i % N == K (0-based K/N); default from SLURM_ARRAY_TASK_*");
  cmd->add_flag("--force", o->force, "Rerun every run, finished or not");
  cmd->add_flag("--retry-failed", o->retry_failed,
                "Rerun runs whose status is failed (skipped otherwise, except I/O failures: always retried)");
  cmd->add_flag("--dry-run", o->dry_run, "Print the plan as CSV and run nothing");
  cmd->add_option("--note", o->note, "A note stored with every run this command starts (status.json, runs.csv `note`); "
                                     "not part of the run id");
  cmd->add_option("--tag", o->tags, "A tag stored with every run this command starts (status.json, runs.csv `tags`), "
                                    "repeatable; letters, digits, _ . : -")
      ->check([](const std::string& tag) -> std::string {
        const bool ok = !tag.empty() && tag.size() <= 64 && std::all_of(tag.begin(), tag.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
        });
        return ok ? "" : "a tag is 1-64 letters, digits, _ . : or -";
      });
  cmd->add_flag("-q,--quiet", o->quiet, "Only warnings and errors on stderr");
  cmd->add_flag("-v,--verbose", o->verbose, "Debug logging on stderr");
  cmd->callback([o, shard, &exit_code] {
    o->shard_given = shard->count() > 0;
    exit_code = run(*o);
  });
}

void setup_plan(CLI::App& app, int& exit_code) {
  struct PlanOptions {
    std::string config;
    std::vector<std::string> sets;
    bool resolved = false;
  };
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand("plan", "Print the expanded runs (index, run_id, swept values) as CSV on stdout");
  cmd->add_option("config", o->config, "Experiment config (JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "Override a config key: KEY=VALUE, repeatable");
  cmd->add_flag("--resolved", o->resolved,
                "Print the config as bnlab reads it instead (JSON: extends merged, --set applied)");
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] {
      const Experiment experiment = load_experiment(o->config, o->sets);
      if (o->resolved) {
        std::cout << experiment.file.dump(2) << '\n';
        return static_cast<int>(kOk);
      }
      std::cout << plan_csv(expand(experiment));
      return static_cast<int>(kOk);
    });
  });
}

}  // namespace bnlab::cli
