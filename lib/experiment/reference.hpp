// The config reference as a Markdown table, generated from the schema table so README cannot drift
// from the code (`bnlab schema` prints it; tests/integration/docs.sh checks README holds it).
#pragma once

#include <string>

namespace bnlab {

std::string config_reference_markdown();

}  // namespace bnlab
