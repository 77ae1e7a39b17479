// bnlab schema: print the config reference (every key, type, default, allowed values) as Markdown.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "experiment/json_schema.hpp"
#include "experiment/reference.hpp"

namespace bnlab::cli {

void setup_schema(CLI::App& app, int& exit_code) {
  auto json_schema = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "schema", "Print the config reference (every key, its type, default and allowed values) as Markdown");
  cmd->add_flag("--json-schema", *json_schema, "Print the config's JSON Schema instead (for editors such as VS Code)");
  cmd->callback([json_schema, &exit_code] {
    if (*json_schema) std::cout << config_json_schema().dump(2) << '\n';
    else std::cout << config_reference_markdown();
    exit_code = kOk;
  });
}

}  // namespace bnlab::cli
