// Reads one probe's settings object with defaults, checks each value, and collects every problem
// with its JSON path ("probes.activation_percentiles.every: must be an integer >= 1, got 0").
// Each read also records the key's default and description, which is how a probe documents its
// settings: the reference is generated from the same calls that parse them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace bnlab {

// A layer named by its index or by its path name ("stage2.block1.body.conv2d1", as `bnlab model`
// prints it).
struct LayerRef {
  std::int64_t index = 0;
  std::string path;  // non-empty: the layer is named by path, index unused
};

struct SettingDoc {
  std::string key;
  std::string default_value;  // as JSON text
  std::string description;
};

class SettingsReader {
 public:
  // settings: the probe's object (null or {} = all defaults); path: "probes.<name>".
  SettingsReader(const nlohmann::json& settings, std::string path);

  static constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max,
                       const std::string& description);
  std::vector<std::int64_t> integers(const std::string& key, const std::vector<std::int64_t>& fallback,
                                     std::int64_t min, const std::string& description);
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback, double min,
                              double max, const std::string& description);
  // A layer (an integer >= min, or a path name) and a non-empty list of them.
  LayerRef layer(const std::string& key, std::int64_t fallback, std::int64_t min, const std::string& description);
  std::vector<LayerRef> layers(const std::string& key, const std::vector<std::int64_t>& fallback, std::int64_t min,
                               const std::string& description);
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& options,
                     const std::string& description);

  // A problem found by the probe itself (a check between keys or against the model).
  void problem(const std::string& key, const std::string& message);
  // Every problem, unknown keys included (call after all reads).
  std::vector<std::string> problems() const;
  const std::vector<SettingDoc>& docs() const { return docs_; }
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json* find(const std::string& key, const nlohmann::json& fallback, const std::string& description);

  nlohmann::json settings_;
  std::string path_;
  std::vector<std::string> read_keys_;
  std::vector<std::string> problems_;
  std::vector<SettingDoc> docs_;
};

}  // namespace bnlab
