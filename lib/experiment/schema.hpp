// The v1 config schema as one table: every key of a run config with its type, the values it
// accepts and a one-line description. Parsing, validation, to_json, --set, sweep keys and README's
// config reference all read this table; adding a key to the config is one line in
// schema_table.cpp.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bnlab {

struct RunConfig;

// Longest experiment name: one folder name (at most 255 bytes on every common file system) with
// room for whatever a tool adds to it (a ".tmp-123456" sibling, an archive suffix).
inline constexpr std::size_t kMaxNameLength = 100;

enum class ValueType { String, Integer, Number, IntegerList, Object, Boolean, List };  // List: any JSON array

// What a value must satisfy beyond its type. For a list, the range applies to every entry.
struct Constraint {
  std::optional<double> min, max;            // range bounds, when set
  bool min_open = false, max_open = false;   // true: the bound itself is excluded
  std::function<std::vector<std::string>()> choices;  // enum values (unset: any string)
  bool filename_safe = false;                // 1..kMaxNameLength of [A-Za-z0-9_.-], the first not '.' or '-'

  bool has_range() const { return min.has_value() || max.has_value(); }
  bool in_range(double v) const;
  std::string range_text() const;            // "> 0", ">= 1", "in [0, 1)"
};

struct KeySpec {
  std::string path;            // dotted path: "optimizer.lr"; top-level keys have no dot
  ValueType type;
  bool nullable;               // null means unset (a std::optional in the struct)
  bool required = false;       // must appear in the file (only `name`)
  Constraint constraint;
  std::string description;     // one line, for error messages and README
  std::function<nlohmann::json(const RunConfig&)> get;
  std::function<void(RunConfig&, const nlohmann::json&)> set;  // takes a value check_value accepted

  std::string section() const;  // "optimizer"; "" for top-level keys
  std::string leaf() const;     // "lr"
};

// Every key, in DESIGN's order. Defaults are not in the table: they are the struct's (get(RunConfig{})).
const std::vector<KeySpec>& config_schema();

// The spec of a dotted path, or nullptr.
const KeySpec* find_key(std::string_view path);

// "data", "model", "norm", "init", "optimizer", "train": the keys that hold objects of keys.
const std::vector<std::string>& config_sections();
bool is_section(std::string_view name);

// The keys valid at the top of an experiment file: name, description, the sections, probes, sweep.
const std::vector<std::string>& top_level_keys();

// Keys that exclude each other: setting one of them (by --set or a sweep axis) unsets the other
// unless that one is set the same way too. "train.steps" <-> "train.epochs"; nullptr for others.
const char* exclusive_partner(std::string_view path);

// A rule between keys, checked on a whole run config ("init.std: required when init.scheme is
// 'normal'"). `keys` are the keys it reads, so a sweep checks only the combinations that matter.
struct ConfigRule {
  std::vector<std::string> keys;
  std::function<std::optional<std::string>(const RunConfig&)> check;  // the problem, or nothing
};
const std::vector<ConfigRule>& config_rules();
// Whether `rule` reads one of `paths` (dotted keys).
bool reads_any(const ConfigRule& rule, const std::vector<std::string>& paths);

// Checks `value` against `spec`, appending "<path>: <problem>" lines to `problems`. Returns the
// value in the key's canonical form (2.0 -> 2 for an integer, 1 -> 1.0 for a number) when valid.
std::optional<nlohmann::json> check_value(const KeySpec& spec, const nlohmann::json& value,
                                          const std::string& path, std::vector<std::string>& problems);

// "<path>: unknown key; did you mean '<closest>'?" for a path that is not in the schema. Within a
// section the suggestion is the bare key ('hidden'), across sections the dotted path ('optimizer.lr').
std::string unknown_key_message(const std::string& path);

// The closest valid dotted key (schema keys and sections) to a misspelled one, if any is close.
std::optional<std::string> closest_key(std::string_view path);

// Why `key` cannot be a sweep axis ("unknown key; did you mean 'optimizer.lr'?"), or nothing.
// Sweepable: every schema key but name and description, and `probes` or any path under it.
std::optional<std::string> sweep_key_problem(std::string_view key);

// How a value reads in a message: string "60", number 1.5, boolean true, null, array [1,2].
std::string describe(const nlohmann::json& value);

}  // namespace bnlab
