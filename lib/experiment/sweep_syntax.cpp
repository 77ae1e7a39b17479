// Sweep value generators and exclusions (syntax in sweep_syntax.hpp).
#include "experiment/sweep_syntax.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "experiment/schema.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

constexpr const char* kGenerators[] = {"logspace", "linspace", "range"};

// 12 significant digits: 0.1 * 3 is 0.3, and pow(10, -2) is 0.01 on every libm.
double round12(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.12g", x);
  return std::strtod(text, nullptr);
}

// A generated number as JSON: an integer when it is one (1e3 -> 1000, as a file would give it).
json number(double x) {
  if (std::abs(x) < 1e15 && x == std::floor(x)) return json(static_cast<long long>(x));
  return json(x);
}

std::optional<json> spaced(const std::string& kind, const json& args, const std::string& path,
                           std::vector<std::string>& problems) {
  const std::string at = path + "." + kind;
  if (!args.is_array() || args.size() != 3 || !args[0].is_number() || !args[1].is_number() ||
      !args[2].is_number_integer()) {
    problems.push_back(at + ": expected [start, stop, count] (numbers, count an integer), got " + describe(args));
    return std::nullopt;
  }
  const double a = args[0].get<double>(), b = args[1].get<double>();
  const long long n = args[2].get<long long>();
  if (n < 1 || n > static_cast<long long>(kMaxRuns)) {
    problems.push_back(at + ": count " + std::to_string(n) + " out of range [1, " + std::to_string(kMaxRuns) + "]");
    return std::nullopt;
  }
  const bool log = kind == "logspace";
  if (log && (a <= 0 || b <= 0)) {
    problems.push_back(at + ": start and stop must be > 0 (they are values, not exponents: [0.001, 10, 5])");
    return std::nullopt;
  }
  json out = json::array();
  for (long long i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1);
    const double x = i == n - 1 ? b
                     : log      ? std::pow(10.0, std::log10(a) + t * (std::log10(b) - std::log10(a)))
                                : a + t * (b - a);
    out.push_back(number(round12(x)));
  }
  return out;
}

std::optional<json> range(const json& args, const std::string& path, std::vector<std::string>& problems) {
  const std::string at = path + ".range";
  const bool ints = args.is_array() && std::all_of(args.begin(), args.end(), [](const json& v) { return v.is_number_integer(); });
  if (!ints || args.size() < 2 || args.size() > 3) {
    problems.push_back(at + ": expected [start, stop] or [start, stop, step] of integers (stop excluded), got " +
                       describe(args));
    return std::nullopt;
  }
  const long long start = args[0].get<long long>(), stop = args[1].get<long long>();
  const long long step = args.size() == 3 ? args[2].get<long long>() : 1;
  if (step == 0) {
    problems.push_back(at + ": step 0 would never reach the stop");
    return std::nullopt;
  }
  const long double span = static_cast<long double>(stop) - static_cast<long double>(start);
  const long double count = span / step <= 0 ? 0 : std::ceil(span / step);
  if (count < 1) {
    problems.push_back(at + ": no values (the stop " + std::to_string(stop) + " is excluded)");
    return std::nullopt;
  }
  if (count > kMaxRuns) {
    problems.push_back(at + ": " + std::to_string(static_cast<unsigned long long>(count)) +
                       " values; the limit is " + std::to_string(kMaxRuns));
    return std::nullopt;
  }
  json out = json::array();
  for (long long i = 0; i < static_cast<long long>(count); ++i) out.push_back(start + i * step);
  return out;
}

}  // namespace

bool is_generator(const json& spec) {
  return spec.is_object() && spec.size() == 1 &&
         std::any_of(std::begin(kGenerators), std::end(kGenerators), [&](const char* g) { return spec.contains(g); });
}

std::optional<json> sweep_values(const json& spec, const std::string& path, std::vector<std::string>& problems) {
  if (spec.is_array()) return spec;
  if (!is_generator(spec)) {
    problems.push_back(path + ": expected a list of values or one of {\"logspace\": [start, stop, count]}, "
                       "{\"linspace\": [start, stop, count]}, {\"range\": [start, stop(, step)]}; got " + describe(spec));
    return std::nullopt;
  }
  const std::string kind = spec.begin().key();
  if (kind == "range") return range(spec.begin().value(), path, problems);
  return spaced(kind, spec.begin().value(), path, problems);
}

std::vector<Exclusion> parse_exclusions(const json& list, const std::vector<SweepAxis>& axes,
                                        std::vector<std::string>& problems) {
  std::vector<Exclusion> out;
  if (!list.is_array()) {
    problems.push_back("sweep.exclude: expected a list of objects (swept key -> value), got " + describe(list));
    return out;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "sweep.exclude[" + std::to_string(i) + "]";
    const json& item = list[i];
    if (!item.is_object() || item.empty()) {
      problems.push_back(at + ": expected an object of swept keys and values, e.g. {\"model.norm\": \"none\"}, got " +
                         describe(item));
      continue;
    }
    Exclusion exclusion;
    bool ok = true;
    for (const auto& entry : item.items()) {
      // (not a structured binding: clang 14, the sanitizer build, rejects capturing one in a lambda)
      const std::string& key = entry.key();
      const auto& raw = entry.value();
      const std::string path = at + "." + key;
      const auto axis = std::find_if(axes.begin(), axes.end(), [&](const SweepAxis& a) { return a.key == key; });
      if (axis == axes.end()) {
        problems.push_back(path + ": not a swept key (exclude names combinations of swept values)");
        ok = false;
        continue;
      }
      const KeySpec* spec = find_key(key);
      std::vector<std::string> value_problems;
      const std::optional<json> value = spec ? check_value(*spec, raw, path, value_problems) : std::optional<json>(raw);
      const auto found = value ? std::find(axis->values.begin(), axis->values.end(), *value) : axis->values.end();
      if (found == axis->values.end()) {
        std::string swept;
        for (std::size_t k = 0; k < axis->values.size() && k < 8; ++k) swept += (k ? ", " : "") + axis->values[k].dump();
        if (axis->values.size() > 8) swept += ", ...";
        problems.push_back(path + ": " + describe(raw) + " is not one of the swept values (" + swept + ")");
        ok = false;
        continue;
      }
      exclusion.values.emplace_back(static_cast<std::size_t>(axis - axes.begin()),
                                    static_cast<std::size_t>(found - axis->values.begin()));
    }
    if (ok) out.push_back(std::move(exclusion));
  }
  return out;
}

}  // namespace bnlab
