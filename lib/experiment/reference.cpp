#include "experiment/reference.hpp"

#include <sstream>

#include "experiment/config.hpp"
#include "experiment/schema.hpp"
#include "model/layer_spec.hpp"
#include "probes/registry.hpp"

namespace bnlab {

namespace {

std::string type_text(const KeySpec& spec) {
  std::string t;
  switch (spec.type) {
    case ValueType::String: t = "string"; break;
    case ValueType::Integer: t = "integer"; break;
    case ValueType::Number: t = "number"; break;
    case ValueType::IntegerList: t = "list of integers"; break;
    case ValueType::Object: t = "object"; break;
    case ValueType::Boolean: t = "boolean"; break;
    case ValueType::List: t = "list"; break;
  }
  return spec.nullable ? t + " or null" : t;
}

std::string allowed_text(const KeySpec& spec) {
  const auto& c = spec.constraint;
  if (c.choices) {
    std::string out;
    for (const auto& v : c.choices()) out += (out.empty() ? "" : ", ") + ("`" + v + "`");
    return out;
  }
  if (c.filename_safe) return "`[A-Za-z0-9_][A-Za-z0-9_.-]*`, at most " + std::to_string(kMaxNameLength) + " characters";
  if (c.has_range()) return (spec.type == ValueType::IntegerList ? "each " : "") + c.range_text();
  return "";
}

std::string escape_pipes(std::string text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

}  // namespace

std::string config_reference_markdown() {
  const RunConfig defaults;
  std::ostringstream out;
  out << "| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& spec : config_schema()) {
    const auto value = spec.get(defaults);
    std::string def = "(required)";
    if (!spec.required) def = std::string("`").append(value.dump()).append("`");  // (not "`" + ...: GCC 12 -Wstringop-overflow false positive)
    if (spec.path == "train.epochs") def += " (unset when `steps` is given)";
    out << "| `" << spec.path << "` | " << type_text(spec) << " | " << escape_pipes(def) << " | "
        << escape_pipes(allowed_text(spec)) << " | " << escape_pipes(spec.description) << " |\n";
  }
  out << "| `sweep` | object | `{}` | dotted key (or a whole section) → non-empty list of values | runs are the cartesian product, "
         "first key outermost (varies slowest); each value is checked like the key itself |\n";
  out << "\n**Layer entries** (`model.layers`, docs/networks.md): each entry is an object with one of these "
         "keys and an optional `\"name\"` (letters, digits, `_`, `-`; default: the layer kind and a count, "
         "`conv2d2`).\n\n"
      << layer_reference_markdown();
  out << "\n**Probes.** `\"probes\": {\"NAME\": {settings}}` enables a probe (`{}` for its defaults); each "
         "writes one long-format CSV into the run folder. Probes only read: a run with a probe follows the same "
         "trajectory as without it. A setting can be swept like any key (`probes.NAME.KEY`).\n\n"
      << probe_reference_markdown();
  return out.str();
}

}  // namespace bnlab
