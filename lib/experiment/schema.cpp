// Lookups in the config schema and the checks of a single value against it (the table itself is
// in schema_table.cpp).
#include "experiment/schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <limits>
#include <unordered_map>

#include "experiment/config.hpp"
#include "experiment/suggest.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string expected_text(const KeySpec& spec) {
  std::string t;
  switch (spec.type) {
    case ValueType::String: t = "a string"; break;
    case ValueType::Integer: t = "an integer"; break;
    case ValueType::Number: t = "a number"; break;
    case ValueType::IntegerList: t = "a list of integers"; break;
    case ValueType::Object: t = "an object"; break;
    case ValueType::Boolean: t = "true or false"; break;
    case ValueType::List: t = "a list"; break;
  }
  return "expected " + t + (spec.nullable ? " or null" : "");
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// An integer from a JSON number: integers, and floats with an integral value (1e3), within int64.
std::optional<std::int64_t> as_integer(const json& v, const std::string& path, const std::string& expected,
                                       std::vector<std::string>& problems) {
  if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(v.get<std::uint64_t>());
  } else if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  problems.push_back(path + ": " + expected + ", got " + describe(v));
  return std::nullopt;
}

bool check_range(const Constraint& c, double v, const std::string& path, std::vector<std::string>& problems) {
  if (c.in_range(v)) return true;
  problems.push_back(path + ": must be " + c.range_text());
  return false;
}

}  // namespace

bool Constraint::in_range(double v) const {
  if (min && (min_open ? !(v > *min) : !(v >= *min))) return false;
  if (max && (max_open ? !(v < *max) : !(v <= *max))) return false;
  return true;
}

std::string Constraint::range_text() const {
  if (min && max)
    return "in " + std::string(min_open ? "(" : "[") + number_text(*min) + ", " + number_text(*max) +
           (max_open ? ")" : "]");
  if (min) return (min_open ? "> " : ">= ") + number_text(*min);
  if (max) return (max_open ? "< " : "<= ") + number_text(*max);
  return "any value";
}

std::string KeySpec::section() const {
  const auto dot = path.find('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

std::string KeySpec::leaf() const {
  const auto dot = path.find('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

const KeySpec* find_key(std::string_view path) {
  static const std::unordered_map<std::string_view, const KeySpec*> index = [] {
    std::unordered_map<std::string_view, const KeySpec*> out;
    for (const auto& spec : config_schema()) out.emplace(spec.path, &spec);
    return out;
  }();
  const auto it = index.find(path);
  return it == index.end() ? nullptr : it->second;
}

const std::vector<std::string>& config_sections() {
  static const std::vector<std::string> sections = [] {
    std::vector<std::string> out;
    for (const auto& spec : config_schema()) {
      const std::string s = spec.section();
      if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
  }();
  return sections;
}

bool is_section(std::string_view name) {
  const auto& s = config_sections();
  return std::find(s.begin(), s.end(), name) != s.end();
}

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& spec : config_schema()) {
      const std::string s = spec.section().empty() ? spec.path : spec.section();
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    out.push_back("sweep");
    out.push_back("claims");
    return out;
  }();
  return keys;
}

bool reads_any(const ConfigRule& rule, const std::vector<std::string>& paths) {
  return std::any_of(rule.keys.begin(), rule.keys.end(), [&](const std::string& key) {
    return std::find(paths.begin(), paths.end(), key) != paths.end();
  });
}

std::optional<json> check_value(const KeySpec& spec, const json& value, const std::string& path,
                                std::vector<std::string>& problems) {
  const Constraint& c = spec.constraint;
  if (value.is_null()) {
    if (spec.nullable) return value;
    problems.push_back(path + ": " + expected_text(spec) + ", got null");
    return std::nullopt;
  }
  switch (spec.type) {
    case ValueType::String: {
      if (!value.is_string()) break;
      const auto& s = value.get_ref<const std::string&>();
      if (c.choices) {
        const auto choices = c.choices();
        if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
          const auto hint = closest(s, choices);
          problems.push_back(path + ": '" + s + "' is not one of " + joined(choices) +
                             (hint ? "; did you mean '" + *hint + "'?" : ""));
          return std::nullopt;
        }
      }
      if (c.filename_safe) {
        if (s.empty()) {
          problems.push_back(path + ": must not be empty");
          return std::nullopt;
        }
        if (s.size() > kMaxNameLength) {
          problems.push_back(path + ": " + std::to_string(s.size()) + " characters; at most " +
                             std::to_string(kMaxNameLength) + " (it names a folder)");
          return std::nullopt;
        }
        const bool safe = std::all_of(s.begin(), s.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
        });
        // A leading '.' hides the folder ("." and ".." are not folders of their own); a leading
        // '-' reads as an option to every shell tool.
        if (!safe || s[0] == '.' || s[0] == '-') {
          problems.push_back(path + ": " + describe(value) +
                             " is not a safe file name; use letters, digits, '_', '.' and '-', not starting with '.' or '-'");
          return std::nullopt;
        }
      }
      return value;
    }
    case ValueType::Integer: {
      if (!value.is_number()) break;
      const auto n = as_integer(value, path, expected_text(spec), problems);
      if (!n || !check_range(c, static_cast<double>(*n), path, problems)) return std::nullopt;
      return json(*n);
    }
    case ValueType::Number: {
      if (!value.is_number()) break;
      const double d = value.get<double>();
      if (!std::isfinite(d)) {
        problems.push_back(path + ": must be a finite number");
        return std::nullopt;
      }
      if (!check_range(c, d, path, problems)) return std::nullopt;
      return json(d);
    }
    case ValueType::IntegerList: {
      if (!value.is_array()) break;
      json out = json::array();
      bool ok = true;
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string item = path + "[" + std::to_string(i) + "]";
        const auto n = as_integer(value[i], item, "expected an integer", problems);
        if (n && check_range(c, static_cast<double>(*n), item, problems)) out.push_back(*n);
        else ok = false;
      }
      if (!ok) return std::nullopt;
      return out;
    }
    case ValueType::Object:
      if (!value.is_object()) break;
      return value;
    case ValueType::Boolean:
      if (!value.is_boolean()) break;
      return value;
    case ValueType::List:  // its entries are checked by a rule (model.layers: layer_spec.hpp)
      if (!value.is_array()) break;
      return value;
  }
  problems.push_back(path + ": " + expected_text(spec) + ", got " + describe(value));
  return std::nullopt;
}

std::optional<std::string> closest_key(std::string_view path) {
  const auto dot = path.find('.');
  std::vector<std::string> all_keys;
  for (const auto& spec : config_schema()) all_keys.push_back(spec.path);
  if (dot == std::string_view::npos) {
    // A bare word: a top-level key, else a key of some section by its leaf name ("lr").
    if (auto top_key = closest(path, top_level_keys())) return top_key;
    std::vector<std::string> leaves;
    for (const auto& spec : config_schema()) leaves.push_back(spec.leaf());
    if (auto leaf = closest(path, leaves))
      for (const auto& spec : config_schema())
        if (spec.leaf() == *leaf) return spec.path;
    return std::nullopt;
  }
  const std::string section(path.substr(0, dot));
  const std::string_view rest = path.substr(dot + 1);
  if (is_section(section)) {
    std::vector<std::string> leaves;
    for (const auto& spec : config_schema())
      if (spec.section() == section) leaves.push_back(spec.leaf());
    if (auto leaf = closest(rest, leaves)) return section + "." + *leaf;
    // The right key in the wrong section: "train.lr" -> "optimizer.lr".
    for (const auto& spec : config_schema())
      if (spec.leaf() == rest && !spec.section().empty()) return spec.path;
    return std::nullopt;
  }
  if (auto fixed = closest(section, config_sections())) {
    if (auto key = closest_key(*fixed + "." + std::string(rest))) return key;
    return fixed;
  }
  return closest(path, all_keys);
}

std::string unknown_key_message(const std::string& path) {
  std::string message = path + ": unknown key";
  if (auto hint = closest_key(path)) {
    const auto dot = path.find('.');
    const std::string section = dot == std::string::npos ? "" : path.substr(0, dot) + ".";
    const bool same_section = !section.empty() && hint->rfind(section, 0) == 0;
    message += "; did you mean '" + (same_section ? hint->substr(section.size()) : *hint) + "'?";
  }
  return message;
}

std::optional<std::string> sweep_key_problem(std::string_view key) {
  if (key == "name" || key == "description")
    return "cannot be swept (name names the experiment; description is not part of a run)";
  // A whole section is sweepable too: each value replaces the section (keys left out take their
  // defaults), for settings that only make sense together ({"scheme": "normal", "std": 0.01}).
  if (find_key(key) || is_section(key) || key == "probes" || key.substr(0, 7) == "probes.") return std::nullopt;
  const auto hint = closest_key(key);
  return "unknown key" + (hint ? "; did you mean '" + *hint + "'?" : std::string());
}

std::string describe(const json& value) {
  if (value.is_null()) return "null";
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  switch (value.type()) {
    case json::value_t::string: return "string " + text;
    case json::value_t::boolean: return "boolean " + text;
    case json::value_t::array: return "array " + text;
    case json::value_t::object: return "object " + text;
    default: return "number " + text;
  }
}

}  // namespace bnlab
