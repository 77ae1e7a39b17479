#include "probes/settings.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace bnlab {

using nlohmann::json;

namespace {
// 100 as "100", 0.5 as "0.5" (JSON would print 100.0).
json shown_number(double v) { return std::floor(v) == v ? json(static_cast<std::int64_t>(v)) : json(v); }
}  // namespace

SettingsReader::SettingsReader(const json& settings, std::string path)
    : settings_(settings.is_null() ? json::object() : settings), path_(std::move(path)) {
  if (!settings_.is_object()) {
    problems_.push_back(path_ + ": expected an object of settings ({} for the defaults), got " + settings_.dump());
    settings_ = json::object();
  }
}

const json* SettingsReader::find(const std::string& key, const json& fallback, const std::string& description) {
  read_keys_.push_back(key);
  docs_.push_back({key, fallback.dump(), description});
  const auto it = settings_.find(key);
  return it == settings_.end() || it->is_null() ? nullptr : &*it;
}

void SettingsReader::problem(const std::string& key, const std::string& message) {
  problems_.push_back(path_ + "." + key + ": " + message);
}

std::int64_t SettingsReader::integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                                     std::int64_t max, const std::string& description) {
  const json* value = find(key, fallback, description);
  if (!value) return fallback;
  const bool whole = value->is_number_integer() ||
                     (value->is_number_float() && std::floor(value->get<double>()) == value->get<double>());
  if (!whole || value->get<double>() < static_cast<double>(min) ||
      (max != kNoMax && value->get<double>() > static_cast<double>(max))) {
    std::string range = "an integer >= " + std::to_string(min);
    if (max != kNoMax) range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    problem(key, "must be " + range + ", got " + value->dump());
    return fallback;
  }
  return static_cast<std::int64_t>(value->get<double>());
}

std::vector<std::int64_t> SettingsReader::integers(const std::string& key, const std::vector<std::int64_t>& fallback,
                                                   std::int64_t min, const std::string& description) {
  const json* value = find(key, fallback, description);
  if (!value) return fallback;
  if (!value->is_array() || value->empty()) {
    problem(key, "must be a non-empty list of integers, got " + value->dump());
    return fallback;
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& v = (*value)[i];
    if (!v.is_number_integer() || v.get<std::int64_t>() < min) {
      problems_.push_back(path_ + "." + key + "[" + std::to_string(i) + "]: must be an integer >= " +
                          std::to_string(min) + ", got " + v.dump());
      continue;
    }
    out.push_back(v.get<std::int64_t>());
  }
  return out.size() == value->size() ? out : fallback;
}

std::vector<double> SettingsReader::numbers(const std::string& key, const std::vector<double>& fallback, double min,
                                            double max, const std::string& description) {
  json shown = json::array();  // whole numbers shown without ".0" in the reference
  for (const double v : fallback) shown.push_back(shown_number(v));
  const json* value = find(key, shown, description);
  if (!value) return fallback;
  if (!value->is_array() || value->empty()) {
    problem(key, "must be a non-empty list of numbers, got " + value->dump());
    return fallback;
  }
  std::vector<double> out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& v = (*value)[i];
    if (!v.is_number() || v.get<double>() < min || v.get<double>() > max) {
      problems_.push_back(path_ + "." + key + "[" + std::to_string(i) + "]: must be a number in [" +
                          shown_number(min).dump() + ", " + shown_number(max).dump() + "], got " + v.dump());
      continue;
    }
    out.push_back(v.get<double>());
  }
  return out.size() == value->size() ? out : fallback;
}

namespace {
// An integer >= min or a non-empty string, as a LayerRef; nullopt for anything else.
std::optional<LayerRef> layer_of(const json& v, std::int64_t min) {
  if (v.is_string() && !v.get<std::string>().empty()) return LayerRef{0, v.get<std::string>()};
  if (v.is_number_integer()) {
    if (v.get<std::int64_t>() < min) return std::nullopt;
    return LayerRef{v.get<std::int64_t>(), {}};
  }
  const double d = v.is_number_float() ? v.get<double>() : 0.5;  // 2.0 is the integer 2, as integer() reads it
  if (std::floor(d) != d || std::fabs(d) > 1e15 || d < static_cast<double>(min)) return std::nullopt;
  return LayerRef{static_cast<std::int64_t>(d), {}};
}
std::string layer_expected(std::int64_t min) {
  return min == std::numeric_limits<std::int64_t>::min() ? "an integer or a layer path name"
                                                         : "an integer >= " + std::to_string(min) + " or a layer path name";
}
}  // namespace

LayerRef SettingsReader::layer(const std::string& key, std::int64_t fallback, std::int64_t min,
                               const std::string& description) {
  const json* value = find(key, fallback, description);
  if (!value) return {fallback, {}};
  if (auto ref = layer_of(*value, min)) return *ref;
  problem(key, "must be " + layer_expected(min) + ", got " + value->dump());
  return {fallback, {}};
}

std::vector<LayerRef> SettingsReader::layers(const std::string& key, const std::vector<std::int64_t>& fallback,
                                             std::int64_t min, const std::string& description) {
  std::vector<LayerRef> defaults;
  for (const auto i : fallback) defaults.push_back({i, {}});
  const json* value = find(key, fallback, description);
  if (!value) return defaults;
  if (!value->is_array() || value->empty()) {
    problem(key, "must be a non-empty list of layers (integers or path names), got " + value->dump());
    return defaults;
  }
  std::vector<LayerRef> out;
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (auto ref = layer_of((*value)[i], min)) {
      out.push_back(*ref);
      continue;
    }
    problems_.push_back(path_ + "." + key + "[" + std::to_string(i) + "]: must be " + layer_expected(min) + ", got " +
                        (*value)[i].dump());
  }
  return out.size() == value->size() ? out : defaults;
}

std::string SettingsReader::choice(const std::string& key, const std::string& fallback,
                                   const std::vector<std::string>& options, const std::string& description) {
  const json* value = find(key, fallback, description);
  if (!value) return fallback;
  if (value->is_string() && std::find(options.begin(), options.end(), value->get<std::string>()) != options.end())
    return value->get<std::string>();
  std::string list;
  for (const auto& o : options) list += (list.empty() ? "" : ", ") + o;
  problem(key, "must be one of " + list + ", got " + value->dump());
  return fallback;
}

std::vector<std::string> SettingsReader::problems() const {
  std::vector<std::string> out = problems_;
  for (const auto& [key, value] : settings_.items()) {
    (void)value;
    if (std::find(read_keys_.begin(), read_keys_.end(), key) != read_keys_.end()) continue;
    std::string valid;
    for (const auto& k : read_keys_) valid += (valid.empty() ? "" : ", ") + k;
    out.push_back(path_ + "." + key + ": unknown setting (valid: " + valid + ")");
  }
  return out;
}

}  // namespace bnlab
