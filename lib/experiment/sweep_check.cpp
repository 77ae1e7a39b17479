// Checking a sweep object: its axes' values one by one, the zip group, the exclusions, and the
// run count before any value is checked.
#include "experiment/sweep_check.hpp"

#include <algorithm>
#include <unordered_map>

#include "experiment/config.hpp"
#include "experiment/json_util.hpp"
#include "experiment/schema.hpp"
#include "experiment/sweep_syntax.hpp"

namespace bnlab {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct RawAxis {
  std::string key;
  std::string path;  // sweep.<key> or sweep.zip.<key>
  json values;       // a list (generators expanded)
  bool zipped;
};

// A swept section's value: an object whose keys are checked as in the file, reported at
// sweep.<section>[i].<key>.
bool section_value_ok(const ordered_json& base, const std::string& section, const json& value,
                      const std::string& item, std::vector<std::string>& problems) {
  if (!value.is_object()) {
    problems.push_back(item + ": expected an object (the whole " + section + " section), got " + describe(value));
    return false;
  }
  ordered_json doc = base.is_object() ? base : ordered_json::object();
  doc[section] = ordered_json(value);
  bool ok = true;
  for (const auto& problem : check_run_config(doc).key_problems)
    if (problem.rfind(section + ".", 0) == 0) {
      problems.push_back(item + problem.substr(section.size()));
      ok = false;
    }
  return ok;
}

// The axes of the sweep object with their lists, in file order, a zip group's keys in its place.
std::vector<RawAxis> list_axes(const ordered_json& sweep, std::vector<std::string>& problems,
                               std::vector<std::string>& bad_keys, json& exclude) {
  std::vector<RawAxis> raw;
  const auto add = [&](const std::string& key, const std::string& path, const json& spec, bool zipped) {
    if (auto problem = sweep_key_problem(key)) {
      problems.push_back(path + ": " + *problem);
      return false;
    }
    auto values = sweep_values(spec, path, problems);
    if (!values) return false;
    if (values->empty()) {
      problems.push_back(path + ": empty list; a sweep axis needs at least one value");
      return false;
    }
    raw.push_back({key, path, std::move(*values), zipped});
    return true;
  };
  for (auto it = sweep.begin(); it != sweep.end(); ++it) {
    if (it.key() == "exclude") {
      exclude = json(*it);
    } else if (it.key() == "zip") {
      if (!it->is_object() || it->empty()) {
        problems.push_back("sweep.zip: expected an object of keys and their values, varying together "
                           "({\"train.batch_size\": [32, 64], \"optimizer.lr\": [0.1, 0.2]}), got " + describe(json(*it)));
        continue;
      }
      const std::size_t first = raw.size();
      bool ok = true;
      for (auto inner = it->begin(); inner != it->end(); ++inner)
        ok = add(inner.key(), "sweep.zip." + inner.key(), json(*inner), inner != it->begin()) && ok;
      std::string lengths;
      for (std::size_t k = first; k < raw.size(); ++k)
        lengths += (k > first ? ", " : "") + raw[k].key + ": " + std::to_string(raw[k].values.size());
      const bool same_length = std::all_of(raw.begin() + static_cast<std::ptrdiff_t>(first), raw.end(),
                                           [&](const RawAxis& a) { return a.values.size() == raw[first].values.size(); });
      if (ok && !same_length)
        problems.push_back("sweep.zip: lists of different lengths (" + lengths + "); the i-th run takes the i-th value of each");
      if (!ok || !same_length) {  // the group runs as a whole or not at all
        for (auto inner = it->begin(); inner != it->end(); ++inner) bad_keys.push_back(inner.key());
        raw.resize(first);
      }
    } else if (!it->is_array() && !is_generator(json(*it))) {
      problems.push_back("sweep." + it.key() + ": expected a list of values, got " + describe(json(*it)));
    } else {
      add(it.key(), "sweep." + it.key(), json(*it), false);
    }
  }
  return raw;
}

// The values of one axis, each checked at <path>[i]; false when one was refused.
bool check_values(const RawAxis& raw, const ordered_json& base, SweepAxis& axis, std::vector<std::string>& problems,
                  bool in_group) {
  const KeySpec* spec = find_key(raw.key);  // nullptr for paths under probes: each probe checks them
  std::unordered_map<std::string, std::size_t> file_index;  // canonical text of a kept value -> i
  bool all = true;
  for (std::size_t i = 0; i < raw.values.size(); ++i) {
    const std::string item = raw.path + "[" + std::to_string(i) + "]";
    const json& value_in = raw.values[i];
    std::optional<json> value = spec ? check_value(*spec, value_in, item, problems) : std::optional<json>(value_in);
    if (is_section(raw.key) && !section_value_ok(base, raw.key, value_in, item, problems)) value.reset();
    if (!value) {
      all = false;
      continue;
    }
    // In a zip group a value may repeat (lr 0.1 at batch 32 and 64): the tuples are checked instead.
    if (!in_group) {
      const auto [same, added] = file_index.emplace(value->dump(), i);
      if (!added) {
        problems.push_back(item + ": same value as " + raw.path + "[" + std::to_string(same->second) +
                           "] (the run would repeat)");
        continue;
      }
    }
    axis.values.push_back(*value);
  }
  return all;
}

// A zip group's runs: no two may take the same values on every key of the group.
bool distinct_tuples(const std::vector<SweepAxis>& group, std::vector<std::string>& problems) {
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < group.front().values.size(); ++i) {
    std::string tuple;
    for (const auto& axis : group) tuple += axis.values[i].dump() + "\n";
    if (const auto [same, added] = seen.emplace(tuple, i); !added) {
      problems.push_back("sweep.zip: values " + std::to_string(i) + " and " + std::to_string(same->second) +
                         " are the same on every key (the run would repeat)");
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<SweepAxis> check_sweep(const ordered_json& sweep, const ordered_json& base, std::vector<std::string>& problems,
                                   std::vector<std::string>& bad_keys, std::vector<Exclusion>& exclude) {
  std::vector<SweepAxis> axes;
  if (sweep.is_null()) return axes;  // no sweep (absent or null): one run
  if (!sweep.is_object()) {
    problems.push_back("sweep: expected an object (dotted key -> list of values), got " + describe(json(sweep)));
    return axes;
  }
  json exclude_json;
  const std::vector<RawAxis> raw = list_axes(sweep, problems, bad_keys, exclude_json);
  // Too many runs is known from the list sizes alone: refuse before checking millions of values.
  std::size_t combinations = 1;
  std::string sizes;
  for (const auto& a : raw)
    if (!a.zipped) {
      if (__builtin_mul_overflow(combinations, a.values.size(), &combinations)) combinations = SIZE_MAX;
      sizes += (sizes.empty() ? "" : " x ") + std::to_string(a.values.size());
    }
  if (combinations > kMaxRuns) {
    problems.push_back("sweep: " + (combinations == SIZE_MAX ? "over " + std::to_string(SIZE_MAX) : std::to_string(combinations)) +
                       " runs (" + sizes + " values); the limit is " + std::to_string(kMaxRuns));
    return axes;
  }
  for (std::size_t first = 0; first < raw.size();) {
    std::size_t end = first + 1;  // [first, end): one axis, or a zip group
    while (end < raw.size() && raw[end].zipped) ++end;
    const bool group = end - first > 1 || raw[first].path.rfind("sweep.zip.", 0) == 0;
    std::vector<SweepAxis> checked;
    bool ok = true;
    for (std::size_t r = first; r < end; ++r) {
      const RawAxis& a = raw[r];
      // Only paths under probes can nest ("probes" and "probes.x"): the runs would fight over them.
      const auto overlaps = [&](const SweepAxis& b) { return path_within(a.key, b.key) || path_within(b.key, a.key); };
      const auto overlap = std::find_if(axes.begin(), axes.end(), overlaps);
      if (overlap != axes.end()) {
        problems.push_back(a.path + ": overlaps sweep." + overlap->key + "; sweep one or the other");
        ok = false;
        continue;
      }
      if (!find_key(a.key) && base.is_object()) {
        ordered_json probe = base;
        if (auto problem = set_path(probe, a.key, nullptr); !problem.empty()) {
          problems.push_back(a.path + ": cannot be set: " + problem);
          ok = false;
          continue;
        }
      }
      SweepAxis axis{a.key, {}, a.zipped};
      // One axis keeps its valid values; a group runs whole or not at all.
      if (!check_values(a, base, axis, problems, group) && group) ok = false;
      if (axis.values.empty()) ok = false;
      checked.push_back(std::move(axis));
    }
    if (ok && group) ok = distinct_tuples(checked, problems);
    for (auto& axis : checked) {
      if (ok) axes.push_back(std::move(axis));
      else bad_keys.push_back(axis.key);
    }
    first = end;
  }
  if (!exclude_json.is_null()) exclude = parse_exclusions(exclude_json, axes, problems);
  return axes;
}

}  // namespace bnlab
