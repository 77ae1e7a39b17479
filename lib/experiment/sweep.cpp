// Experiment loading (parse -> --set -> validate base, sweep values and rules) and the expansion
// of a sweep into runs with their run ids.
#include "experiment/sweep.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "core/errors.hpp"
#include "experiment/extends.hpp"
#include "experiment/json_util.hpp"
#include "experiment/overrides.hpp"
#include "experiment/schema.hpp"
#include "experiment/sweep_check.hpp"
#include "experiment/test_selection.hpp"
#include "probes/registry.hpp"

namespace bnlab {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

using Point = std::vector<std::pair<std::string, json>>;  // one value per axis

// The base with one run's swept values set. A swept train.steps (or epochs) unsets the other
// unless that is swept too, as --set does.
ordered_json apply_point(const ordered_json& base, const Point& point) {
  ordered_json doc = base;
  for (const auto& [key, value] : point) {
    set_path(doc, key, ordered_json(value));
    const char* partner = exclusive_partner(key);
    if (partner && !value.is_null() &&
        std::none_of(point.begin(), point.end(), [&](const auto& kv) { return kv.first == partner; }))
      set_path(doc, partner, nullptr);
  }
  return doc;
}

// Advances mixed-radix digits, last digit fastest; false after the last combination.
bool next_combination(std::vector<std::size_t>& digits, const std::vector<std::size_t>& sizes) {
  for (std::size_t k = digits.size(); k-- > 0;) {
    if (++digits[k] < sizes[k]) return true;
    digits[k] = 0;
  }
  return false;
}

std::size_t product(const std::vector<std::size_t>& sizes) {
  std::size_t n = 1;
  for (std::size_t s : sizes)
    if (__builtin_mul_overflow(n, s, &n)) return SIZE_MAX;
  return n;
}

// The sizes of the plan's dimensions: one per axis, a zip group counting once.
std::vector<std::size_t> dimension_sizes(const std::vector<SweepAxis>& axes) {
  std::vector<std::size_t> sizes;
  for (const auto& a : axes)
    if (!a.zipped || sizes.empty()) sizes.push_back(a.values.size());
  return sizes;
}

bool excluded(const std::vector<std::size_t>& digits, const std::vector<Exclusion>& exclude) {
  return std::any_of(exclude.begin(), exclude.end(), [&](const Exclusion& e) {
    return std::all_of(e.values.begin(), e.values.end(), [&](const auto& av) { return digits[av.first] == av.second; });
  });
}

std::string too_many_runs(std::size_t count) {
  const std::string n = count == SIZE_MAX ? "over " + std::to_string(SIZE_MAX) : std::to_string(count);
  return "sweep: " + n + " runs; the limit is " + std::to_string(kMaxRuns);
}

// Calls fn(point, digits, runs) once for every combination of the values of the `relevant` axes
// that runs of the plan have (digits[k]: the index of the value of relevant[k]; runs: how many
// runs have it), in plan order; once with an empty point when there are none.
template <typename Fn>
void for_each_combination(const std::vector<SweepAxis>& axes, const std::vector<std::vector<std::size_t>>& points,
                          const std::vector<const SweepAxis*>& relevant, Fn&& fn) {
  std::vector<std::vector<std::size_t>> combinations;
  std::vector<std::size_t> runs;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& p : points) {
    std::vector<std::size_t> digits;
    std::string key;
    for (const auto* axis : relevant) {
      digits.push_back(p[static_cast<std::size_t>(axis - axes.data())]);
      key += std::to_string(digits.back()) + ",";
    }
    const auto [it, added] = index.emplace(key, combinations.size());
    if (added) {
      combinations.push_back(std::move(digits));
      runs.push_back(0);
    }
    ++runs[it->second];
  }
  for (std::size_t c = 0; c < combinations.size(); ++c) {
    Point point;
    for (std::size_t k = 0; k < relevant.size(); ++k) point.emplace_back(relevant[k]->key, relevant[k]->values[combinations[c][k]]);
    fn(point, combinations[c], runs[c]);
  }
}

// The problems that rules find on combinations of swept values, each reported once with the runs
// it affects: a bad probe setting under a 30,000-seed sweep is one line, not 30,000.
class ProblemGroups {
 public:
  ProblemGroups(std::size_t total_runs) : total_runs_(total_runs) {}

  void add(const std::string& problem, const std::vector<const SweepAxis*>& relevant,
           const std::vector<std::size_t>& digits, std::size_t runs) {
    auto [it, added] = index_.emplace(problem, groups_.size());
    if (added) groups_.push_back({problem, relevant, std::vector<std::vector<bool>>(relevant.size()), 0, 0, digits});
    Group& g = groups_[it->second];
    for (std::size_t k = 0; k < relevant.size(); ++k) {
      if (g.seen[k].empty()) g.seen[k].resize(relevant[k]->values.size(), false);
      g.seen[k][digits[k]] = true;
    }
    ++g.combinations;
    g.runs += runs;
  }

  void emit(std::vector<std::string>& problems) const {
    for (const auto& g : groups_) problems.push_back(g.problem + where(g));
  }

 private:
  struct Group {
    std::string problem;
    std::vector<const SweepAxis*> relevant;
    std::vector<std::vector<bool>> seen;  // per relevant axis: which of its values are affected
    std::size_t combinations = 0;
    std::size_t runs = 0;                 // the runs with an affected combination
    std::vector<std::size_t> first;       // the first affected combination
  };

  std::string where(const Group& g) const {
    if (g.relevant.empty()) return "";
    std::string first;
    for (std::size_t k = 0; k < g.relevant.size(); ++k)
      first += (first.empty() ? "" : ", ") + g.relevant[k]->key + "=" + g.relevant[k]->values[g.first[k]].dump();
    if (g.combinations == 1) return " (in the runs with " + first + ")";
    const std::size_t runs = g.runs;
    // Per axis, the values of the affected runs; an axis whose every value is affected is no clue.
    std::string values;
    for (std::size_t k = 0; k < g.relevant.size(); ++k) {
      std::vector<std::string> shown;
      std::size_t count = 0;
      for (std::size_t i = 0; i < g.seen[k].size(); ++i)
        if (g.seen[k][i] && ++count <= 3) shown.push_back(g.relevant[k]->values[i].dump());
      if (count == g.seen[k].size()) continue;
      std::string text = g.relevant[k]->key + "=";
      for (std::size_t i = 0; i < shown.size(); ++i) text += (i ? ", " : "") + shown[i];
      if (count > shown.size()) text += " and " + std::to_string(count - shown.size()) + " more";
      values += (values.empty() ? "" : "; ") + text;
    }
    if (runs == total_runs_) return " (in all " + std::to_string(runs) + " runs)";
    return " (in " + std::to_string(runs) + " of " + std::to_string(total_runs_) + " runs, " +
           (values.empty() ? "e.g. those with " + first : "those with " + values) + ")";
  }

  std::size_t total_runs_;
  std::vector<Group> groups_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Rules between keys (schema.hpp) on the base, or on every combination of the axes a rule reads;
// then the probe settings, against every combination of swept model, train and probe values.
// Rules that read a key in `bad_keys` (refused values) are not checked: they would see a default.
void check_rules(const ordered_json& base, const RunConfig& base_config, const std::vector<SweepAxis>& axes,
                 const std::vector<Exclusion>& exclude, const std::vector<std::string>& bad_keys,
                 std::vector<std::string>& problems) {
  const auto points = plan_points(axes, exclude);
  ProblemGroups groups(points.size());
  for (const auto& rule : config_rules()) {
    if (reads_any(rule, bad_keys)) continue;
    std::vector<const SweepAxis*> relevant;
    for (const auto& axis : axes)
      if (std::any_of(rule.keys.begin(), rule.keys.end(), [&](const auto& k) { return path_within(k, axis.key); }))
        relevant.push_back(&axis);
    if (relevant.empty()) {
      if (auto problem = rule.check(base_config)) problems.push_back(*problem);
      continue;
    }
    for_each_combination(axes, points, relevant, [&](const Point& point, const std::vector<std::size_t>& digits, std::size_t runs) {
      if (auto problem = rule.check(check_run_config(apply_point(base, point)).config))
        groups.add(*problem, relevant, digits, runs);
    });
  }
  const bool probes_swept = std::any_of(axes.begin(), axes.end(), [](const SweepAxis& a) { return path_within(a.key, "probes"); });
  if (probes_swept || !(base_config.probes.is_null() || base_config.probes.empty())) {
    std::vector<const SweepAxis*> relevant;
    for (const auto& axis : axes)
      for (const char* section : {"probes", "model", "train"})
        if (path_within(axis.key, section)) relevant.push_back(&axis);
    for_each_combination(axes, points, relevant, [&](const Point& point, const std::vector<std::size_t>& digits, std::size_t runs) {
      const RunConfig config = point.empty() ? base_config : check_run_config(apply_point(base, point)).config;
      for (auto& problem : check_run_probes(config))
        groups.add(problem, relevant, digits, runs);
    });
  }
  groups.emit(problems);
}

// Marks the problems at paths that --set wrote, so the user looks at the command line, not the file.
void mark_set_paths(std::vector<std::string>& problems, const std::vector<std::string>& set_paths) {
  for (auto& p : problems)
    for (const auto& path : set_paths)
      if (p.size() > path.size() && p.compare(0, path.size(), path) == 0 &&
          (p[path.size()] == ':' || p[path.size()] == '[' || p[path.size()] == '.')) {
        p += " (from --set)";
        break;
      }
}

}  // namespace

Experiment parse_experiment(const std::string& text, const std::string& source_name,
                            const std::vector<std::string>& sets) {
  std::vector<std::string> problems;
  ordered_json doc = resolve_extends(parse_json_text(text, source_name, problems), source_name, problems);
  std::vector<std::string> set_paths;
  apply_sets(doc, sets, problems, set_paths);
  const ordered_json file = doc;

  ordered_json sweep, claims_json;
  if (doc.is_object()) {
    if (auto it = doc.find("sweep"); it != doc.end()) {
      sweep = *it;
      doc.erase(it);
    }
    if (auto it = doc.find("claims"); it != doc.end()) {  // judged on the results, never part of a run
      claims_json = *it;
      doc.erase(it);
    }
    if (auto it = doc.find("$schema"); it != doc.end() && it->is_string()) doc.erase(it);  // for editors only
  }
  ConfigCheck base = check_run_config(doc);
  problems.insert(problems.end(), base.key_problems.begin(), base.key_problems.end());
  std::vector<std::string> bad_keys = std::move(base.bad_keys);
  std::vector<Exclusion> exclude;
  std::vector<SweepAxis> axes = check_sweep(sweep, doc, problems, bad_keys, exclude);
  std::vector<Claim> claims;
  if (!claims_json.is_null()) {
    claims = parse_claims(json(claims_json), axes, problems);
    check_claim_selection(claims, base.config.data.val_size, axes, problems);
  }
  const std::size_t count = product(dimension_sizes(axes));
  if (count > kMaxRuns) problems.push_back(too_many_runs(count));
  else if (!exclude.empty() && plan_points(axes, exclude).empty())
    problems.push_back("sweep.exclude: leaves no run of the " + std::to_string(count) + " combinations");
  else if (doc.is_object()) check_rules(doc, base.config, axes, exclude, bad_keys, problems);

  if (!problems.empty()) {
    mark_set_paths(problems, set_paths);
    // Past a screenful the rest is noise (a generated file with 10,000 bad values): say how many.
    if (problems.size() > kMaxProblems) {
      const std::size_t hidden = problems.size() - kMaxProblems;
      problems.resize(kMaxProblems);
      problems.push_back("... and " + std::to_string(hidden) + " more problems");
    }
    throw ConfigError(std::move(problems));
  }
  return Experiment{base.config.name, base.config.description, json(doc), std::move(axes), std::move(exclude), file,
                    std::move(claims)};
}

Experiment load_experiment(const std::string& path, const std::vector<std::string>& sets) {
  return parse_experiment(read_config_text(path), path, sets);
}

std::size_t run_count(const Experiment& experiment) {
  const std::size_t count = product(dimension_sizes(experiment.sweep));
  if (count > kMaxRuns || experiment.exclude.empty()) return count;
  return plan_points(experiment.sweep, experiment.exclude).size();
}

std::vector<std::vector<std::size_t>> plan_points(const std::vector<SweepAxis>& axes, const std::vector<Exclusion>& exclude) {
  const std::vector<std::size_t> sizes = dimension_sizes(axes);
  const std::size_t count = product(sizes);
  if (count > kMaxRuns) throw ConfigError(too_many_runs(count));
  std::vector<std::vector<std::size_t>> points;
  points.reserve(count);
  std::vector<std::size_t> digits(sizes.size(), 0);  // one per dimension
  for (std::size_t c = 0; c < count; ++c) {
    std::vector<std::size_t> point;  // one per axis: a zip group's axes share their dimension's digit
    std::size_t dim = 0;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      if (k > 0 && !axes[k].zipped) ++dim;
      point.push_back(digits[dim]);
    }
    if (!excluded(point, exclude)) points.push_back(std::move(point));
    next_combination(digits, sizes);
  }
  return points;
}

std::vector<PlannedRun> expand(const Experiment& experiment) {
  const auto points = plan_points(experiment.sweep, experiment.exclude);
  const ordered_json base(experiment.base);
  std::vector<PlannedRun> runs;
  runs.reserve(points.size());
  std::unordered_map<std::string, std::size_t> index_of_id;
  for (std::size_t index = 0; index < points.size(); ++index) {
    Point point;
    for (std::size_t k = 0; k < experiment.sweep.size(); ++k)
      point.emplace_back(experiment.sweep[k].key, experiment.sweep[k].values[points[index][k]]);
    ConfigCheck check = check_run_config(apply_point(base, point));
    if (!check.key_problems.empty() || !check.rule_problems.empty()) {
      std::vector<std::string> problems = std::move(check.key_problems);
      problems.insert(problems.end(), check.rule_problems.begin(), check.rule_problems.end());
      for (auto& p : problems) p += " (run " + std::to_string(index) + ")";
      throw ConfigError(std::move(problems));
    }
    PlannedRun run{index, "", {}, std::move(check.config), {}};
    run.resolved = to_json(run.config);
    run.run_id = run_id(run.resolved);
    for (auto& [key, value] : point) {  // as resolved: 1e3 -> 1000 for an integer key
      const json* resolved = find_key(key) ? find_path(run.resolved, key) : nullptr;
      run.swept.emplace_back(key, resolved ? *resolved : value);
    }
    if (auto [it, inserted] = index_of_id.emplace(run.run_id, index); !inserted)
      throw ConfigError("sweep: runs " + std::to_string(it->second) + " and " + std::to_string(index) +
                        " have the same resolved config (run id " + run.run_id + ")");
    runs.push_back(std::move(run));
  }
  return runs;
}

std::string run_id(const json& resolved) {
  json canonical = resolved;
  if (canonical.is_object()) {
    canonical.erase("description");
    canonical.erase("plot");  // how the results are drawn, not what was run
    // A resource limit, not part of the experiment: the same run under another limit is the same run.
    if (auto train = canonical.find("train"); train != canonical.end() && train->is_object())
      train->erase("max_memory_mb");
    // Keys that came after results existed, left out at their default value, so that a run that
    // does not use them keeps the id it had before they came.
    static const json later_keys = {
        {"data", {{"val_size", 0}}},                                         // issue 16: no validation set
        {"optimizer", {{"warmup_epochs", 0}, {"schedule", "constant"}}},    // issue 13: constant lr
        {"train", {{"precise_bn_samples", 0}, {"precise_bn_batch", 0}}},     // issue 13: no precise BN
        {"model", {{"layers", json::array()}, {"depth", 20}, {"width_multiplier", 1.0},  // issue 12
                   {"block", "post_activation"}, {"zero_init_residual", false}, {"convs_per_stage", 2},
                   {"lstm_hidden", 128}, {"lstm_layers", 1}, {"sequence", "rows"}, {"permutation_seed", 0}}}};  // issue 14
    for (const auto& [section, defaults] : later_keys.items())
      if (auto sec = canonical.find(section); sec != canonical.end() && sec->is_object())
        for (const auto& [key, default_value] : defaults.items())
          if (auto value = sec->find(key); value != sec->end() && *value == default_value) sec->erase(value);
  }
  const std::string text = canonical.dump(-1, ' ', false, json::error_handler_t::replace);
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV prime
  }
  const std::uint64_t folded = (hash >> 48) ^ (hash & 0xffffffffffffULL);
  char hex[13];
  std::snprintf(hex, sizeof hex, "%012llx", static_cast<unsigned long long>(folded));
  return hex;
}

}  // namespace bnlab
