#include "model/layer_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "model/norm_kinds.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

struct TypeName {
  LayerType type;
  const char* name;
  std::vector<std::string> options;  // the keys its object may hold
  const char* value;                 // what the entry's value is, for README
  const char* meaning;               // with each option's default
};

// One line per entry type: README's generated reference (layer_reference_markdown) reads it too.
const std::vector<TypeName>& type_table() {
  static const std::vector<TypeName> table = {
      {LayerType::conv, "conv", {"out", "kernel", "stride", "padding", "bias"}, "`{\"out\": C, ...}`",
       "2-D convolution to `out` channels (required); `kernel` 3, `stride` 1, `padding` (kernel - 1) / 2, "
       "`bias` null: none when a norm follows, else one"},
      {LayerType::linear, "linear", {"out", "bias"}, "`{\"out\": F, ...}`",
       "fully connected to `out` features (required; needs a flat input: flatten first); `bias` as conv's"},
      {LayerType::norm, "norm", {"kind"}, "`{}` or `{\"kind\": K}`",
       "normalization over the channels (features); `kind` null: `model.norm` (so sweeping it changes every norm "
       "entry), else one of `model.norm`'s values; `none` builds nothing"},
      {LayerType::activation, "activation", {"function"}, "`{}` or `{\"function\": F}`",
       "`relu`, `sigmoid` or `tanh`; null: `model.activation`. A ReLU right after a batch or group norm is "
       "applied by the norm (`model.fuse_norm_relu`)"},
      {LayerType::max_pool, "max_pool", {"kernel", "stride"}, "`{}` or `{\"kernel\": K, \"stride\": S}`",
       "max pooling, no padding; `kernel` 2, `stride` the kernel"},
      {LayerType::avg_pool, "avg_pool", {"kernel", "stride"}, "as max_pool", "average pooling, no padding; `kernel` 2, `stride` the kernel"},
      {LayerType::global_avg_pool, "global_avg_pool", {}, "`{}`", "the mean of each channel: (C, H, W) -> (C, 1, 1)"},
      {LayerType::dropout, "dropout", {"p"}, "`{}` or `{\"p\": P}`", "drop probability `p` in [0, 1); null: `model.dropout` (0 builds nothing)"},
      {LayerType::flatten, "flatten", {}, "`{}`", "(C, H, W) -> (C·H·W)"},
      {LayerType::sequence, "sequence", {}, "`[entries]`", "a group of layers with a name of its own: a path level (`stage2.block1...`)"},
      {LayerType::residual, "residual", {"body", "shortcut", "activation"}, "`{\"body\": [entries], ...}`",
       "y = activation(body(x) + shortcut(x)); `shortcut` `auto` (the identity when body keeps the shape, else "
       "a projection), `identity` or `projection` (1x1 conv with the body's stride + norm; a linear + norm on "
       "features); `activation` `relu` (default) or `none`"},
      {LayerType::branches, "branches", {}, "`[[entries], [entries], ...]`",
       "parallel bodies on the same input, outputs concatenated on channels (H and W must match; an empty "
       "branch passes x through)"},
  };
  return table;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string shown(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// Reads the options of one entry, naming each problem by its JSON path.
class Options {
 public:
  Options(const json& object, std::string path, std::vector<std::string>& problems)
      : object_(object), path_(std::move(path)), problems_(problems) {}

  // An integer option in [min, inf), or nothing when absent or bad.
  std::optional<std::int64_t> integer(const char* key, std::int64_t min) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return std::nullopt;
    const bool integral = it->is_number_integer() ||
                          (it->is_number_float() && std::floor(it->get<double>()) == it->get<double>() &&
                           std::fabs(it->get<double>()) < 1e15);
    if (!integral) {
      problem(key, "expected an integer, got " + shown(*it));
      return std::nullopt;
    }
    const auto v = it->is_number_float() ? static_cast<std::int64_t>(it->get<double>()) : it->get<std::int64_t>();
    if (v < min) {
      problem(key, "must be >= " + std::to_string(min));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const char* key) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      problem(key, "expected true, false or null, got " + shown(*it));
      return std::nullopt;
    }
    return it->get<bool>();
  }

  std::optional<double> fraction(const char* key) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number() || !(it->get<double>() >= 0 && it->get<double>() < 1)) {
      problem(key, "expected a number in [0, 1), got " + shown(*it));
      return std::nullopt;
    }
    return it->get<double>();
  }

  // A string among `choices` (empty: the default, left to the planner).
  std::string choice(const char* key, const std::vector<std::string>& choices) {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return {};
    if (!it->is_string() || std::find(choices.begin(), choices.end(), it->get<std::string>()) == choices.end()) {
      problem(key, shown(*it) + " is not one of " + joined(choices));
      return {};
    }
    return it->get<std::string>();
  }

  void problem(const char* key, const std::string& text) { problems_.push_back(path_ + "." + key + ": " + text); }

 private:
  const json& object_;
  std::string path_;
  std::vector<std::string>& problems_;
};

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
         });
}

LayerSpec parse_entry(const json& entry, const std::string& path, std::vector<std::string>& problems);

std::vector<LayerSpec> parse_list(const json& list, const std::string& path, std::vector<std::string>& problems) {
  std::vector<LayerSpec> out;
  if (!list.is_array()) {
    problems.push_back(path + ": expected a list of layer entries, got " + shown(list));
    return out;
  }
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(parse_entry(list[i], path + "[" + std::to_string(i) + "]", problems));
  // Two entries of one list with the same name would give two layers one path.
  for (std::size_t i = 0; i < out.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (!out[i].name.empty() && out[i].name == out[j].name)
        problems.push_back(out[i].json_path + ".name: '" + out[i].name + "' is already the name of " + out[j].json_path);
  return out;
}

LayerSpec parse_entry(const json& entry, const std::string& path, std::vector<std::string>& problems) {
  LayerSpec spec;
  spec.json_path = path;
  const auto& types = type_table();
  std::vector<std::string> type_names;
  for (const auto& t : types) type_names.push_back(t.name);
  if (!entry.is_object()) {
    problems.push_back(path + ": expected an object like {\"conv\": {\"out\": 16}}, got " + shown(entry));
    return spec;
  }
  const TypeName* found = nullptr;
  for (const auto& item : entry.items()) {
    const std::string& key = item.key();  // (not a structured binding: clang 14 rejects capturing one)
    const json& value = item.value();
    if (key == "name") {
      if (!value.is_string() || !valid_name(value.get<std::string>()))
        problems.push_back(path + ".name: expected 1 to 64 letters, digits, '_' or '-' (a path part), got " + shown(value));
      else
        spec.name = value.get<std::string>();
      continue;
    }
    const auto t = std::find_if(types.begin(), types.end(), [&](const TypeName& x) { return key == x.name; });
    if (t == types.end()) {
      problems.push_back(path + "." + key + ": unknown layer type; one of " + joined(type_names) + " (and \"name\")");
      return spec;
    }
    if (found) {
      problems.push_back(path + ": two layer types (" + found->name + ", " + key + "); one entry is one layer");
      return spec;
    }
    found = &*t;
  }
  if (!found) {
    problems.push_back(path + ": no layer type; one of " + joined(type_names));
    return spec;
  }
  spec.type = found->type;
  const std::string inner = path + "." + found->name;
  spec.json_path = inner;
  const json& value = entry.at(found->name);
  if (spec.type == LayerType::sequence) {
    spec.body = parse_list(value, inner, problems);
    return spec;
  }
  if (spec.type == LayerType::branches) {
    if (!value.is_array() || value.empty()) {
      problems.push_back(inner + ": expected a list of branches, each a list of entries, got " + shown(value));
      return spec;
    }
    for (std::size_t k = 0; k < value.size(); ++k)
      spec.branches.push_back(parse_list(value[k], inner + "[" + std::to_string(k) + "]", problems));
    return spec;
  }
  if (!value.is_object()) {
    problems.push_back(inner + ": expected an object of options ({} for the defaults), got " + shown(value));
    return spec;
  }
  for (const auto& [key, v] : value.items()) {
    (void)v;
    if (std::find(found->options.begin(), found->options.end(), key) == found->options.end())
      problems.push_back(inner + "." + key + ": unknown option of " + found->name +
                         (found->options.empty() ? " (it has none)" : "; one of " + joined(found->options)));
  }
  Options options(value, inner, problems);
  switch (spec.type) {
    case LayerType::conv:
    case LayerType::linear:
      if (!value.contains("out")) problems.push_back(inner + ".out: required (output " +
                                                     (spec.type == LayerType::conv ? "channels)" : "features)"));
      spec.out = options.integer("out", 1).value_or(0);
      spec.bias = options.boolean("bias");
      if (spec.type == LayerType::conv) {
        spec.kernel = options.integer("kernel", 1).value_or(0);
        spec.stride = options.integer("stride", 1).value_or(0);
        spec.padding = options.integer("padding", 0);
      }
      break;
    case LayerType::norm: spec.kind = options.choice("kind", norm_kinds()); break;
    case LayerType::activation: spec.kind = options.choice("function", {"relu", "sigmoid", "tanh"}); break;
    case LayerType::max_pool:
    case LayerType::avg_pool:
      spec.kernel = options.integer("kernel", 1).value_or(0);
      spec.stride = options.integer("stride", 1).value_or(0);
      break;
    case LayerType::dropout: spec.p = options.fraction("p"); break;
    case LayerType::residual: {
      if (!value.contains("body")) problems.push_back(inner + ".body: required (the layers of the residual branch)");
      else spec.body = parse_list(value.at("body"), inner + ".body", problems);
      if (auto s = options.choice("shortcut", {"auto", "identity", "projection"}); !s.empty()) spec.shortcut = s;
      spec.relu_after_add = options.choice("activation", {"relu", "none"}) != "none";
      break;
    }
    default: break;
  }
  return spec;
}

}  // namespace

std::vector<LayerSpec> parse_layers(const json& list, const std::string& path, std::vector<std::string>& problems) {
  return parse_list(list, path, problems);
}

const std::vector<std::string>& layer_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& t : type_table()) out.push_back(t.name);
    return out;
  }();
  return names;
}

std::string layer_reference_markdown() {
  std::string out = "| entry | value | meaning |\n|---|---|---|\n";
  for (const auto& t : type_table())
    out += std::string("| `") + t.name + "` | " + t.value + " | " + t.meaning + " |\n";
  return out;
}

}  // namespace bnlab
