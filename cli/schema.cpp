// bnlab schema: print the config reference (every key, type, default, allowed values) as Markdown.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "experiment/reference.hpp"

namespace bnlab::cli {

void setup_schema(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("schema", "Print the config reference (every key, its type, default and allowed values) as Markdown");
  cmd->callback([&exit_code] {
    std::cout << config_reference_markdown();
    exit_code = kOk;
  });
}

}  // namespace bnlab::cli
