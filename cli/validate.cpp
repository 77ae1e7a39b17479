// bnlab validate CONFIG...: check configs without running anything; one line per problem.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "core/errors.hpp"
#include "experiment/limits.hpp"
#include "experiment/sweep.hpp"

namespace bnlab::cli {

void setup_validate(CLI::App& app, int& exit_code) {
  auto configs = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("validate", "Check configs (schema, ranges, sweep); exit 0 or a message per problem");
  cmd->add_option("configs", *configs, "Experiment configs (JSON)")->required();
  cmd->callback([configs, &exit_code] {
    setup_logging(0);
    exit_code = kOk;
    for (const auto& path : *configs) {
      // Each problem line starts with the file, so several files' problems stay apart.
      try {
        const auto plan = expand(load_experiment(path, {}));
        double largest_mb = 0;  // the memory estimate of the largest run (README, "Limits")
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
