// bnlab summary DIR and bnlab compare DIR: statistics over seeds from DIR/runs.csv
// (lib/experiment/seed_statistics.hpp says what is computed; docs/cli.md, "Statistics", how to read it).
#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "common.hpp"
#include "core/errors.hpp"
#include "util/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/seed_statistics.hpp"
#include "experiment/sweep.hpp"
#include "experiment/verdict.hpp"

namespace bnlab::cli {

namespace {

struct SummaryOptions {
  std::string dir;
  std::vector<std::string> by, metrics{"final_test_acc"};
  CLI::Option* by_given = nullptr;
  std::string format = "csv";
};

struct CompareOptions {
  std::string dir, metric = "final_test_acc", between;
  std::vector<std::string> by, where;
  bool relative = false;
  CLI::Option* by_given = nullptr;
  std::string format = "csv";
};

// --by given: those keys (`--by ''` pools every run into one group); not given: the default.
std::optional<std::vector<std::string>> by_option(const CLI::Option& given, const std::vector<std::string>& by) {
  if (given.count() == 0) return std::nullopt;
  std::vector<std::string> keys;
  for (const auto& key : by)
    if (!key.empty()) keys.push_back(key);
  return keys;
}

CsvTable read_runs(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::path(dir) / "runs.csv";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConfigError(path.string() + ": no such file (run the experiment, or `bnlab collect " + dir + "`, first)");
  return parse_csv(read_file(path));
}

CLI::Option* add_common(CLI::App* cmd, std::string& dir, std::vector<std::string>& by, std::string& format,
                        const char* by_help) {
  cmd->add_option("dir", dir, "Experiment results folder (<out>/<name>, with runs.csv)")->required();
  auto* by_given = cmd->add_option("--by", by, by_help)->delimiter(',')->allow_extra_args(false);
  cmd->add_option("--format", format, "Output: csv (default) or md (a Markdown table)")
      ->check(CLI::IsMember({"csv", "md"}));
  return by_given;
}

}  // namespace

void setup_summary(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SummaryOptions>();
  auto* cmd = app.add_subcommand("summary", "Mean, sd, 95% t interval, min, max over seeds, per group of runs");
  o->by_given = add_common(cmd, o->dir, o->by, o->format,
                           "Keys to group by, comma-separated; '' for one group (default: every swept key but "
                           "the seed)");
  cmd->add_option("--metric", o->metrics, "runs.csv column(s) to summarize (repeatable; default final_test_acc)")
      ->delimiter(',');
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] {
      const auto table = summarize_runs(read_runs(o->dir), o->metrics, by_option(*o->by_given, o->by));
      std::cout << (o->format == "md" ? summary_markdown(table) : summary_csv(table));
      return static_cast<int>(kOk);
    });
  });
}

void setup_compare(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CompareOptions>();
  auto* cmd = app.add_subcommand("compare", "Paired differences between two values of a key: mean, 95% t interval, "
                                            "exact sign-flip p");
  o->by_given = add_common(cmd, o->dir, o->by, o->format,
                           "Facet keys, comma-separated; '' pools all pairs (default: every swept key but KEY "
                           "and the seed)");
  cmd->add_option("--metric", o->metric, "runs.csv column to compare (default final_test_acc)");
  cmd->add_option("--between", o->between, "KEY=A,B: the difference is metric(A) - metric(B), paired by seed")
      ->required();
  cmd->add_option("--where", o->where, "KEY=VALUE: only the runs with this value of a swept key (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--relative", o->relative,
                "Compare ratios A / B (paired ln(A / B)): the geometric mean ratio and its 95% interval");
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] {
      const auto eq = o->between.find('=');
      const auto comma = o->between.find(',', eq == std::string::npos ? 0 : eq);
      if (eq == std::string::npos || eq == 0 || comma == std::string::npos || comma == eq + 1 ||
          comma + 1 == o->between.size() || o->between.find(',', comma + 1) != std::string::npos)
        throw ConfigError("--between '" + o->between + "': expected KEY=A,B (e.g. model.norm=batch,none)");
      std::vector<std::pair<std::string, std::string>> where;
      for (const auto& item : o->where) {
        const auto at = item.find('=');
        if (at == std::string::npos || at == 0)
          throw ConfigError("--where '" + item + "': expected KEY=VALUE (e.g. model.arch=cnn)");
        where.emplace_back(item.substr(0, at), item.substr(at + 1));
      }
      const Comparison comparison{o->metric,
                                  o->between.substr(0, eq),
                                  o->between.substr(eq + 1, comma - eq - 1),
                                  o->between.substr(comma + 1),
                                  by_option(*o->by_given, o->by),
                                  std::nullopt,
                                  o->relative,
                                  std::move(where)};
      const auto table = compare_runs(read_runs(o->dir), comparison);
      std::cout << (o->format == "md" ? comparison_markdown(table) : comparison_csv(table));
      return static_cast<int>(kOk);
    });
  });
}

void setup_verdict(CLI::App& app, int& exit_code) {
  struct VerdictOptions {
    std::string dir, config;
    std::vector<std::string> sets;
    std::string format = "md";
  };
  auto o = std::make_shared<VerdictOptions>();
  auto* cmd = app.add_subcommand("verdict", "Judge the experiment's claims on DIR/runs.csv; writes DIR/verdict.csv "
                                            "and DIR/verdict.md");
  cmd->add_option("dir", o->dir, "Experiment results folder (<out>/<name>, with runs.csv)")->required();
  cmd->add_option("--config", o->config, "Take the claims from this config (default: DIR/claims.json, stored by run)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "Override a key of --config: KEY=VALUE, repeatable");
  cmd->add_option("--format", o->format, "What to print on stdout: md (default) or csv")
      ->check(CLI::IsMember({"csv", "md"}));
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] {
      if (!o->sets.empty() && o->config.empty()) throw ConfigError("verdict: --set needs --config");
      const auto claims =
          o->config.empty() ? stored_claims(o->dir) : load_experiment(o->config, o->sets).claims;
      if (claims.empty()) throw ConfigError(o->config + ": states no claims (a top-level \"claims\" list)");
      read_runs(o->dir);  // a clear message when there is no runs.csv yet
      const auto results = write_verdict(o->dir, claims);
      std::cout << (o->format == "md" ? verdict_markdown(results) : verdict_csv(results));
      return static_cast<int>(kOk);
    });
  });
}

}  // namespace bnlab::cli
