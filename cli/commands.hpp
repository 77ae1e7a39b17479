// One set-up function per subcommand: each binds its own options struct to a CLI11 subcommand and
// sets the callback that runs it and stores its exit status. main.cpp only wires these.
#pragma once

#include <CLI/CLI.hpp>

namespace bnlab::cli {

void setup_run(CLI::App& app, int& exit_code);
void setup_plan(CLI::App& app, int& exit_code);
void setup_validate(CLI::App& app, int& exit_code);
void setup_collect(CLI::App& app, int& exit_code);
void setup_status(CLI::App& app, int& exit_code);
void setup_clean(CLI::App& app, int& exit_code);
void setup_summary(CLI::App& app, int& exit_code);
void setup_compare(CLI::App& app, int& exit_code);
void setup_verdict(CLI::App& app, int& exit_code);
void setup_model(CLI::App& app, int& exit_code);
void setup_info(CLI::App& app, int& exit_code);
void setup_schema(CLI::App& app, int& exit_code);
void setup_bench(CLI::App& app, int& exit_code);
void setup_exec_run(CLI::App& app, int& exit_code);  // hidden: the child of run --jobs N

}  // namespace bnlab::cli
