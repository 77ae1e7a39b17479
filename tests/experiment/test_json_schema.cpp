// `bnlab schema --json-schema`: the JSON Schema comes from the schema table (every key at its place,
// with its type, range, choices and default), and every config in configs/ conforms to it while a
// misspelled key, a wrong type or an out-of-range value does not. A small validator below covers the
// keywords the generated schema uses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiment/json_schema.hpp"
#include "experiment/schema.hpp"

using namespace bnlab;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

bool has_type(const ordered_json& schema, const json& value) {
  auto one = [&](const std::string& t) {
    if (t == "object") return value.is_object();
    if (t == "array") return value.is_array();
    if (t == "string") return value.is_string();
    if (t == "integer")
      return value.is_number_integer() ||
             (value.is_number_float() && value.get<double>() == std::floor(value.get<double>()));
    if (t == "number") return value.is_number();
    if (t == "boolean") return value.is_boolean();
    if (t == "null") return value.is_null();
    return false;
  };
  if (!schema.contains("type")) return true;
  if (schema["type"].is_string()) return one(schema["type"].get<std::string>());
  for (const auto& t : schema["type"])
    if (one(t.get<std::string>())) return true;
  return false;
}

// The problems of `value` against `schema` (type, enum, minimum/maximum, properties,
// additionalProperties, required, items, minItems/maxItems, minProperties/maxProperties).
void validate(const ordered_json& schema, const json& value, const std::string& path, std::vector<std::string>& out) {
  if (!has_type(schema, value)) {
    out.push_back(path + ": wrong type");
    return;
  }
  if (schema.contains("enum") && std::none_of(schema["enum"].begin(), schema["enum"].end(),
                                              [&](const ordered_json& e) { return json(e) == value; }))
    out.push_back(path + ": not in enum");
  if (value.is_number()) {
    const double v = value.get<double>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>()) out.push_back(path + ": below minimum");
    if (schema.contains("exclusiveMinimum") && v <= schema["exclusiveMinimum"].get<double>())
      out.push_back(path + ": not above exclusiveMinimum");
    if (schema.contains("maximum") && v > schema["maximum"].get<double>()) out.push_back(path + ": above maximum");
  }
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (schema.contains("properties") && schema["properties"].contains(key))
        validate(schema["properties"][key], item, path + "." + key, out);
      else if (schema.contains("additionalProperties") && schema["additionalProperties"] == false)
        out.push_back(path + "." + key + ": not allowed");
      else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
        validate(schema["additionalProperties"], item, path + "." + key, out);
    }
    if (schema.contains("required"))
      for (const auto& key : schema["required"])
        if (!value.contains(key.get<std::string>())) out.push_back(path + "." + key.get<std::string>() + ": missing");
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>())
      out.push_back(path + ": too short");
    if (schema.contains("items"))
      for (std::size_t i = 0; i < value.size(); ++i)
        validate(schema["items"], value[i], path + "[" + std::to_string(i) + "]", out);
  }
}

std::vector<std::string> problems(const json& config) {
  std::vector<std::string> out;
  validate(config_json_schema(), config, "$", out);
  return out;
}

}  // namespace

TEST_CASE("the JSON Schema holds every key of the schema table at its place", "[schema]") {
  const auto schema = config_json_schema();
  CHECK(schema["required"] == ordered_json::array({"name"}));
  for (const auto& spec : config_schema()) {
    const auto& at = spec.section().empty() ? schema["properties"][spec.path]
                                            : schema["properties"][spec.section()]["properties"][spec.leaf()];
    INFO(spec.path);
    REQUIRE(at.is_object());
    CHECK(at["description"] == spec.description);
    if (spec.constraint.choices) CHECK(at.contains("enum"));
  }
  const auto& norm = schema["properties"]["model"]["properties"]["norm"];
  CHECK(norm["enum"].size() >= 7);  // none, batch and the alternatives
  CHECK(norm["default"] == "batch");
  CHECK(schema["properties"]["optimizer"]["properties"]["lr"]["exclusiveMinimum"] == 0);
  CHECK(schema["properties"]["train"]["properties"]["steps"]["type"] == ordered_json::array({"integer", "null"}));
  CHECK(schema["properties"]["claims"]["items"]["required"].size() == 6);
}

TEST_CASE("every config in configs/ conforms to the JSON Schema; broken ones do not", "[schema]") {
  namespace fs = std::filesystem;
  std::size_t checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(BNLAB_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const json config = json::parse(in);
    INFO(entry.path().string());
    CHECK(problems(config).empty());
    ++checked;
  }
  CHECK(checked >= 10);
  CHECK(problems(json::parse(R"({"name": "x", "model": {"nrom": "batch"}})")) ==
        std::vector<std::string>{"$.model.nrom: not allowed"});
  CHECK(problems(json::parse(R"({"name": "x", "model": {"norm": "btach"}})")) ==
        std::vector<std::string>{"$.model.norm: not in enum"});
  CHECK(problems(json::parse(R"({"name": "x", "optimizer": {"lr": 0}})")) ==
        std::vector<std::string>{"$.optimizer.lr: not above exclusiveMinimum"});
  CHECK(problems(json::parse(R"({"name": "x", "train": {"batch_size": "60"}})")) ==
        std::vector<std::string>{"$.train.batch_size: wrong type"});
  CHECK(problems(json::parse(R"({"model": {}})")) == std::vector<std::string>{"$.name: missing"});
  CHECK(problems(json::parse(R"({"name": "x", "claims": [{"id": "a"}]})")).size() == 5);  // 5 required keys missing
}
