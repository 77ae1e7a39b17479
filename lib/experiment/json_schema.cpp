#include "experiment/json_schema.hpp"

#include "experiment/claims.hpp"
#include "experiment/config.hpp"
#include "experiment/schema.hpp"

namespace bnlab {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// The schema of one value: its type, range and choices.
ordered_json value_schema(const KeySpec& spec) {
  ordered_json s;
  s["description"] = spec.description;
  const Constraint& c = spec.constraint;
  auto add_range = [&](ordered_json& target) {
    if (c.min) target[c.min_open ? "exclusiveMinimum" : "minimum"] = *c.min;
    if (c.max) target[c.max_open ? "exclusiveMaximum" : "maximum"] = *c.max;
  };
  const json default_value = spec.get(RunConfig{});
  switch (spec.type) {
    case ValueType::String:
      s["type"] = "string";
      if (c.choices) s["enum"] = c.choices();
      if (c.filename_safe) s["pattern"] = "^[A-Za-z0-9_.-]+$";
      break;
    case ValueType::Integer:
      s["type"] = "integer";
      add_range(s);
      break;
    case ValueType::Number:
      s["type"] = "number";
      add_range(s);
      break;
    case ValueType::IntegerList: {
      s["type"] = "array";
      ordered_json items = {{"type", "integer"}};
      add_range(items);
      s["items"] = items;
      break;
    }
    case ValueType::Object:
      s["type"] = "object";
      break;
    case ValueType::Boolean:
      s["type"] = "boolean";
      break;
    case ValueType::List:
      s["type"] = "array";
      break;
  }
  if (spec.nullable) {
    const std::string type = s["type"].get<std::string>();
    s["type"] = ordered_json::array({type, "null"});
    if (s.contains("enum")) s["enum"].push_back(nullptr);
  }
  if (!default_value.is_null() || spec.nullable) s["default"] = default_value;
  return s;
}

ordered_json claims_schema() {
  ordered_json claim;
  claim["type"] = "object";
  claim["description"] = "A claim judged by `bnlab verdict` (docs/cli.md, \"Statistics\")";
  claim["required"] = {"id", "claim", "metric", "compare", "expect", "margin"};
  claim["additionalProperties"] = false;
  claim["properties"] = {
      {"id", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]+$"}}},
      {"claim", {{"type", "string"}, {"minLength", 1}, {"description", "the sentence the claim tests"}}},
      {"metric", {{"enum", claim_metrics()}, {"description", "a runs.csv result column"}}},
      {"compare",
       {{"type", "object"}, {"minProperties", 1}, {"maxProperties", 1},
        {"description", "one swept key and two of its values: {\"KEY\": [A, B]}; the estimate is A - B"},
        {"additionalProperties", {{"type", "array"}, {"minItems", 2}, {"maxItems", 2}}}}},
      {"where", {{"type", "object"}, {"description", "swept keys fixed to one of their values"}}},
      {"expect", {{"enum", {"greater", "less", "similar"}}, {"description", "the sign of A - B"}}},
      {"margin", {{"type", "number"}, {"minimum", 0}, {"description", "the smallest difference that matters"}}},
      {"relative",
       {{"type", "boolean"}, {"default", false},
        {"description", "judge the ratio A / B: margin 0.05 means A more than 5% above B (docs/cli.md)"}}},
      {"diverged_as", {{"type", "number"}, {"description", "the value a diverged run counts as"}}}};
  return {{"type", ordered_json::array({"array", "null"})}, {"items", claim}};  // null: none (drops an extended config's)
}

}  // namespace

ordered_json config_json_schema() {
  ordered_json root;
  root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  root["title"] = "bnlab experiment config";
  root["type"] = "object";
  root["additionalProperties"] = false;
  ordered_json properties = ordered_json::object();
  ordered_json required = ordered_json::array();
  for (const auto& spec : config_schema()) {
    const std::string section = spec.section();
    if (section.empty()) {
      properties[spec.path] = value_schema(spec);
      if (spec.required) required.push_back(spec.path);
      continue;
    }
    auto& object = properties[section];
    if (object.is_null())
      object = {{"type", "object"}, {"additionalProperties", false}, {"properties", ordered_json::object()}};
    object["properties"][spec.leaf()] = value_schema(spec);
  }
  // An axis: a list, a generator object, or (in a config that extends another) null to remove one.
  const ordered_json spaced = {{"type", "array"}, {"minItems", 3}, {"maxItems", 3}, {"items", {{"type", "number"}}}};
  const ordered_json axis = {
      {"type", ordered_json::array({"array", "object", "null"})},
      {"description", "a list of values, or {\"logspace\"|\"linspace\": [start, stop, count]} or "
                      "{\"range\": [start, stop(excluded), step]}"},
      {"minItems", 1},
      {"minProperties", 1},
      {"maxProperties", 1},
      {"additionalProperties", false},
      {"properties",
       {{"logspace", spaced},
        {"linspace", spaced},
        {"range", {{"type", "array"}, {"minItems", 2}, {"maxItems", 3}, {"items", {{"type", "integer"}}}}}}}};
  properties["sweep"] = {
      {"type", "object"},
      {"description", "dotted config key -> its values; the runs are the cartesian product (docs/cli.md, \"Sweeps\")"},
      {"properties",
       {{"zip", {{"type", "object"}, {"description", "keys that vary together: the i-th run takes the i-th value of each"},
                 {"minProperties", 1}, {"additionalProperties", axis}}},
        {"exclude", {{"type", "array"}, {"description", "combinations left out: {swept key: value, ...} each"},
                     {"items", {{"type", "object"}, {"minProperties", 1}}}}}}},
      {"additionalProperties", axis}};
  properties["extends"] = {{"type", "string"},
                           {"description", "a config this one is merged into, relative to this file (docs/cli.md, \"extends\")"}};
  properties["claims"] = claims_schema();
  properties["$schema"] = {{"type", "string"}, {"description", "this schema's location, for editors"}};
  root["properties"] = properties;
  root["required"] = required;
  return root;
}

}  // namespace bnlab
