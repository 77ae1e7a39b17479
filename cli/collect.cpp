// bnlab collect DIR: rebuild DIR/runs.csv and DIR/metrics.csv from DIR/runs/*/.
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "experiment/collect.hpp"

namespace bnlab::cli {

void setup_collect(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("collect", "Rebuild DIR/runs.csv and DIR/metrics.csv from the run folders");
  cmd->add_option("dir", *dir, "Experiment results folder (<out>/<name>)")->required();
  cmd->callback([dir, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] {
      const auto r = collect(*dir);
      spdlog::info("{}: {} runs ({} ok, {} diverged, {} failed), {} unfinished skipped", *dir, r.runs, r.ok, r.diverged,
                   r.failed, r.skipped);
      return static_cast<int>(kOk);
    });
  });
}

}  // namespace bnlab::cli
