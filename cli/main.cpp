// bnlab: measure what Batch Normalization does to training. See README.md.
#include <CLI/CLI.hpp>

#include <csignal>

#include "commands.hpp"
#include "common.hpp"

int main(int argc, char** argv) {
  // A file grown past `ulimit -f` would kill bnlab with SIGXFSZ without a word; ignored, the write
  // fails with EFBIG and is reported as an I/O error naming the file (exit status 4).
  std::signal(SIGXFSZ, SIG_IGN);
  bnlab::cli::set_command_line(argc, argv);
  CLI::App app{"bnlab: an experiment runner that measures what Batch Normalization does to training.\n"
               "Write a JSON config, run it, get CSV files (README.md explains every key and column)."};
  app.set_version_flag("--version", std::string("bnlab ") + BNLAB_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --color may also follow the subcommand
  std::string color = "auto";
  app.add_option("--color", color, "Colour the log on stderr: auto (a terminal, unless NO_COLOR is set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->each([](const std::string& when) { bnlab::cli::set_color(when); });
  int exit_code = bnlab::cli::kOk;
  bnlab::cli::setup_run(app, exit_code);
  bnlab::cli::setup_plan(app, exit_code);
  bnlab::cli::setup_validate(app, exit_code);
  bnlab::cli::setup_collect(app, exit_code);
  bnlab::cli::setup_status(app, exit_code);
  bnlab::cli::setup_clean(app, exit_code);
  bnlab::cli::setup_summary(app, exit_code);
  bnlab::cli::setup_compare(app, exit_code);
  bnlab::cli::setup_verdict(app, exit_code);
  bnlab::cli::setup_model(app, exit_code);
  bnlab::cli::setup_info(app, exit_code);
  bnlab::cli::setup_schema(app, exit_code);
  bnlab::cli::setup_bench(app, exit_code);
  bnlab::cli::setup_exec_run(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help/version or the usage error
    return code == 0 ? 0 : bnlab::cli::kBadInput;
  }
  return exit_code;
}
