// bnlab validate CONFIG...: check configs without running anything; one line per problem.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "core/errors.hpp"
#include "experiment/limits.hpp"
#include "experiment/sweep.hpp"

namespace bnlab::cli {

namespace {

// "model.norm: unknown value ..." -> {"path": "model.norm", "message": "unknown value ..."}; a line
// without a path (a file that cannot be read) has an empty path.
nlohmann::json problem_json(const std::string& config, const std::string& line) {
  std::string text = line.rfind(config + ": ", 0) == 0 ? line.substr(config.size() + 2) : line;
  const auto colon = text.find(": ");
  const bool has_path = colon != std::string::npos && text.find(' ') > colon && colon > 0;
  return {{"path", has_path ? text.substr(0, colon) : ""}, {"message", has_path ? text.substr(colon + 2) : text}};
}

}  // namespace

void setup_validate(CLI::App& app, int& exit_code) {
  auto configs = std::make_shared<std::vector<std::string>>();
  auto json_output = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("validate", "Check configs (schema, ranges, sweep); exit 0 or a message per problem");
  cmd->add_option("configs", *configs, "Experiment configs (JSON)")->required();
  cmd->add_flag("--json", *json_output,
                "A JSON list on stdout: per config its runs or its problems, each with path and message");
  cmd->callback([configs, json_output, &exit_code] {
    setup_logging(0);
    exit_code = kOk;
    if (*json_output) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& path : *configs) {
        nlohmann::json item = {{"config", path}};
        try {
          item["runs"] = expand(load_experiment(path, {})).size();
          item["ok"] = true;
          item["problems"] = nlohmann::json::array();
        } catch (const ConfigError& e) {
          item["ok"] = false;
          item["problems"] = nlohmann::json::array();
          for (const auto& line : e.problems()) item["problems"].push_back(problem_json(path, line));
          exit_code = kBadInput;
        }
        out.push_back(std::move(item));
      }
      std::cout << out.dump(2) << '\n';
      return;
    }
    for (const auto& path : *configs) {
      // Each problem line starts with the file, so several files' problems stay apart.
      try {
        const auto plan = expand(load_experiment(path, {}));
        double largest_mb = 0;  // the memory estimate of the largest run (docs/cli.md, "Limits")
        for (const auto& run : plan) largest_mb = std::max(largest_mb, estimate_run_memory(run.config).total_mb());
        std::cout << path << ": ok (" << plan.size() << (plan.size() == 1 ? " run, about " : " runs, the largest about ")
                  << static_cast<long long>(std::ceil(largest_mb)) << " MB of memory)\n";
      } catch (const ConfigError& e) {
        for (const auto& line : e.problems())
          std::cerr << (line.rfind(path, 0) == 0 ? line : path + ": " + line) << '\n';
        exit_code = kBadInput;
      }
    }
  });
}

}  // namespace bnlab::cli
