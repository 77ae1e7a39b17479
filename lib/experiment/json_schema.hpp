// The config schema as a JSON Schema (draft 2020-12) for editors: VS Code validates and completes a
// bnlab config with it (docs/cli.md, "Editor support"). Generated from the same table as README's
// config reference (schema.hpp), so the two cannot drift apart. The schema accepts what the table
// describes key by key; rules between keys (steps xor epochs, ...) and the sweep's values are left
// to `bnlab validate`.
#pragma once

#include <nlohmann/json.hpp>

namespace bnlab {

nlohmann::ordered_json config_json_schema();

}  // namespace bnlab
