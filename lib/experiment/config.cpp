// Run config parsing and validation driven by the schema table, and the resolved JSON form.
#include "experiment/config.hpp"

#include <algorithm>
#include <ostream>

#include "core/errors.hpp"
#include "data/dataset.hpp"
#include "experiment/schema.hpp"
#include "probes/registry.hpp"

namespace bnlab {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Checks one key's value and stores it in `config` when valid.
void take(const KeySpec& spec, const ordered_json& value, const std::string& path, ConfigCheck& out) {
  if (auto checked = check_value(spec, json(value), path, out.key_problems)) spec.set(out.config, *checked);
  else out.bad_keys.push_back(path);
}

}  // namespace

ConfigCheck check_run_config(const ordered_json& object) {
  ConfigCheck out;
  if (!object.is_object()) {
    out.key_problems.push_back("config: expected a JSON object, got " + describe(json(object)));
    return out;
  }
  std::vector<std::string> present;  // dotted paths that appear, for required keys and steps/epochs
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    if (is_section(key)) {
      if (!it->is_object()) {
        out.key_problems.push_back(key + ": expected an object, got " + describe(json(*it)));
        continue;
      }
      for (auto inner = it->begin(); inner != it->end(); ++inner) {
        const std::string path = key + "." + inner.key();
        const KeySpec* spec = find_key(path);
        if (!spec) {
          out.key_problems.push_back(unknown_key_message(path));
          continue;
        }
        present.push_back(path);
        take(*spec, *inner, path, out);
      }
    } else if (const KeySpec* spec = find_key(key); spec && spec->section().empty()) {
      present.push_back(key);
      take(*spec, *it, key, out);
    } else if (key == "sweep") {
      out.key_problems.push_back("sweep: not part of a run config (a sweep belongs to an experiment file)");
    } else {
      out.key_problems.push_back(unknown_key_message(key));
    }
  }
  const auto is_present = [&](const std::string& path) {
    return std::find(present.begin(), present.end(), path) != present.end();
  };
  for (const auto& spec : config_schema())
    if (spec.required && !is_present(spec.path))
      out.key_problems.push_back(spec.path + ": missing; " + spec.description);

  // steps given, epochs left out: train for `steps` (epochs' struct default of 2 does not apply).
  if (out.config.train.steps && !is_present("train.epochs")) out.config.train.epochs.reset();

  for (const auto& rule : config_rules())
    if (!reads_any(rule, out.bad_keys))
      if (auto problem = rule.check(out.config)) out.rule_problems.push_back(*problem);
  for (auto& problem : check_run_probes(out.config))
    out.rule_problems.push_back(std::move(problem));
  return out;
}

std::vector<std::string> check_run_probes(const RunConfig& config) {
  const DataShape data = expected_data_shape(config.data);
  return check_probes(config.probes, config.model, config.train,
                      {config.norm, {data.channels, data.height, data.width}, data.num_classes});
}

RunConfig parse_run_config(const json& object) {
  ConfigCheck check = check_run_config(ordered_json(object));
  std::vector<std::string> problems = std::move(check.key_problems);
  problems.insert(problems.end(), check.rule_problems.begin(), check.rule_problems.end());
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return std::move(check.config);
}

json to_json(const RunConfig& config) {
  json out = json::object();
  for (const auto& spec : config_schema()) {
    const std::string section = spec.section();
    if (section.empty()) out[spec.path] = spec.get(config);
    else out[section][spec.leaf()] = spec.get(config);
  }
  return out;
}

bool operator==(const RunConfig& a, const RunConfig& b) { return to_json(a) == to_json(b); }

std::ostream& operator<<(std::ostream& out, const RunConfig& config) {
  return out << to_json(config).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace bnlab
