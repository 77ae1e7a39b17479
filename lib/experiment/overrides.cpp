// --set parsing and application (rules in overrides.hpp).
#include "experiment/overrides.hpp"

#include <algorithm>
#include <optional>

#include "experiment/json_util.hpp"
#include "experiment/schema.hpp"

namespace bnlab {

namespace {

using nlohmann::ordered_json;

struct Override {
  std::string label;  // "--set KEY=VALUE", for messages
  std::string key;
  ordered_json value;
};

// Why KEY cannot be --set, or "".
std::string key_problem(const std::string& key) {
  if (key.rfind("sweep.", 0) == 0) {
    const std::string axis = key.substr(6);
    if (axis == "zip" || axis == "exclude") return "";
    if (auto problem = sweep_key_problem(axis)) return "sweep key '" + axis + "': " + *problem;
    return "";
  }
  if (key == "sweep" || key == "claims" || find_key(key) || is_section(key) || path_within(key, "probes")) return "";
  const auto hint = closest_key(key);
  return "unknown key '" + key + "'" + (hint ? "; did you mean '" + *hint + "'?" : "");
}

std::optional<Override> parse_set(const std::string& text, std::vector<std::string>& problems) {
  const auto eq = text.find('=');
  // A long value is cut in messages: the problem is in its first line, not its 60,000th byte.
  const std::string shown = text.size() > 80 ? text.substr(0, 77) + "..." : text;
  const std::string label = "--set " + shown;
  if (eq == std::string::npos || eq == 0) {
    problems.push_back("--set '" + shown + "': expected KEY=VALUE, e.g. --set train.steps=200");
    return std::nullopt;
  }
  Override o{label, text.substr(0, eq), {}};
  if (const auto problem = key_problem(o.key); !problem.empty()) {
    problems.push_back(label + ": " + problem);
    return std::nullopt;
  }
  const std::string value_text = text.substr(eq + 1);
  if (value_text.size() > kMaxSetValueBytes) {
    problems.push_back("--set " + o.key + "=...: the value has " + std::to_string(value_text.size()) +
                       " bytes; at most " + std::to_string(kMaxSetValueBytes) + " (put large values in the config file)");
    return std::nullopt;
  }
  if (const auto at = find_too_deep(value_text); at != std::string::npos) {
    problems.push_back("--set " + o.key + "=...: the value nests deeper than " + std::to_string(kMaxJsonDepth) +
                       " levels of [ and { (at byte " + std::to_string(at + 1) + ")");
    return std::nullopt;
  }
  o.value = ordered_json::parse(value_text, nullptr, /*allow_exceptions=*/false);
  const KeySpec* spec = find_key(o.key);
  const bool string_key = spec && spec->type == ValueType::String;
  if (o.value.is_discarded() || (string_key && (o.value.is_number() || o.value.is_boolean()))) o.value = value_text;
  try {
    (void)o.value.dump();  // a string from the command line may be invalid UTF-8
  } catch (const ordered_json::exception&) {
    problems.push_back("--set " + o.key + "=...: the value is not valid UTF-8");
    return std::nullopt;
  }
  return o;
}

// Removes the sweep axes at, inside or around `key`, in the zip group too. An exclusion that names
// `key` keeps its other keys when `value` is the excluded one and goes otherwise (it can no longer
// match); one left with no key goes too (the command line asks for those runs by name).
void drop_axes(ordered_json& doc, const std::string& key, const ordered_json& value) {
  const auto sweep = doc.find("sweep");
  if (sweep == doc.end() || !sweep->is_object()) return;
  const auto hit = [&](const std::string& axis) { return path_within(axis, key) || path_within(key, axis); };
  const auto drop_from = [&](ordered_json& object) {
    std::vector<std::string> dropped;
    for (auto it = object.begin(); it != object.end(); ++it)
      if (hit(it.key())) dropped.push_back(it.key());
    for (const auto& axis : dropped) object.erase(axis);
  };
  drop_from(*sweep);
  if (auto zip = sweep->find("zip"); zip != sweep->end() && zip->is_object()) {
    drop_from(*zip);
    if (zip->empty()) sweep->erase(zip);
  }
  if (auto exclude = sweep->find("exclude"); exclude != sweep->end() && exclude->is_array()) {
    ordered_json kept = ordered_json::array();
    for (auto entry : *exclude) {
      bool matches = true, named = false;
      if (entry.is_object())
        for (auto it = entry.begin(); it != entry.end(); ++it)
          if (hit(it.key())) {
            named = true;
            matches = matches && it.key() == key && *it == value;
          }
      if (!named) kept.push_back(std::move(entry));
      else if (matches) {
        drop_from(entry);
        if (!entry.empty()) kept.push_back(std::move(entry));
      }
    }
    *exclude = std::move(kept);
  }
}

}  // namespace

void apply_sets(ordered_json& doc, const std::vector<std::string>& sets, std::vector<std::string>& problems,
                std::vector<std::string>& set_paths) {
  std::vector<Override> overrides;
  for (const auto& text : sets)
    if (auto o = parse_set(text, problems)) overrides.push_back(std::move(*o));
  if (!doc.is_object()) return;  // reported by validation

  for (auto& o : overrides) {
    if (o.key.rfind("sweep.", 0) == 0) {
      ordered_json& sweep = doc["sweep"];
      if (sweep.is_null()) sweep = ordered_json::object();
      if (!sweep.is_object()) {
        problems.push_back(o.label + ": 'sweep' in the config is not an object");
        continue;
      }
      sweep[o.key.substr(6)] = std::move(o.value);
    } else {
      const bool sets_a_value = !o.value.is_null();
      if (auto problem = set_path(doc, o.key, o.value); !problem.empty()) {
        problems.push_back(o.label + ": " + problem);
        continue;
      }
      if (o.key != "sweep") drop_axes(doc, o.key, o.value);
      // steps <-> epochs: the one set wins over the file's other one, unless both are --set.
      const char* partner = exclusive_partner(o.key);
      const bool partner_set = partner && std::any_of(overrides.begin(), overrides.end(),
                                                      [&](const Override& x) { return x.key == partner; });
      if (partner && sets_a_value && !partner_set) {
        set_path(doc, partner, nullptr);
        drop_axes(doc, partner, nullptr);
      }
    }
    set_paths.push_back(o.key);
  }
}

}  // namespace bnlab
