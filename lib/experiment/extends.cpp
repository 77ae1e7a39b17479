// Config inheritance by "extends" (rules in extends.hpp).
#include "experiment/extends.hpp"

#include <algorithm>

#include "experiment/json_util.hpp"
#include "experiment/schema.hpp"

namespace bnlab {

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

// Whether a null the child gives at `at`, a key of the object at `parent`, removes the parent's
// value instead of replacing it: a sweep axis (its key has dots of its own), a probe, a probe setting.
bool null_removes(const std::string& parent, const std::string& at) {
  return parent == "sweep" || at.rfind("probes.", 0) == 0;
}

std::string chain_text(const std::vector<fs::path>& chain, const fs::path& last) {
  std::string out;
  for (const auto& f : chain) out += f.string() + " -> ";
  return out + last.string();
}

ordered_json resolve(ordered_json doc, const fs::path& file, std::vector<fs::path>& chain,
                     std::vector<std::string>& problems) {
  if (!doc.is_object()) return doc;
  const auto it = doc.find("extends");
  if (it == doc.end()) return doc;
  const ordered_json value = *it;
  doc.erase(it);
  // Each message starts with the JSON path, "extends", like every other problem, and names the files.
  const std::string in_file = " (in " + file.string() + ")";
  if (!value.is_string() || value.get<std::string>().empty()) {
    problems.push_back("extends: expected the path of a config file (relative to this one), got " +
                       describe(nlohmann::json(value)) + in_file);
    return doc;
  }
  fs::path parent = value.get<std::string>();
  if (parent.is_relative()) parent = file.parent_path() / parent;
  parent = parent.lexically_normal();
  std::error_code ec;
  const fs::path identity = fs::weakly_canonical(parent, ec);
  const auto same = [&](const fs::path& f) {
    std::error_code e;
    return fs::weakly_canonical(f, e) == identity;
  };
  if (std::any_of(chain.begin(), chain.end(), same)) {
    problems.push_back("extends: a cycle: " + chain_text(chain, parent));
    return doc;
  }
  if (chain.size() >= kMaxExtendsDepth) {
    problems.push_back("extends: more than " + std::to_string(kMaxExtendsDepth) + " files in the chain " +
                       chain_text(chain, parent));
    return doc;
  }
  if (!fs::is_regular_file(parent, ec)) {
    problems.push_back("extends: no such config file " + parent.string() + " (\"" + value.get<std::string>() +
                       "\" in " + file.string() + ")");
    return doc;
  }
  std::string text;
  try {
    text = read_config_text(parent.string());
  } catch (const std::exception& e) {
    problems.push_back(std::string("extends: ") + e.what() + in_file);
    return doc;
  }
  ordered_json base = parse_json_text(text, parent.string(), problems);
  chain.push_back(parent);
  base = resolve(std::move(base), parent, chain, problems);
  chain.pop_back();
  if (!base.is_object()) {
    problems.push_back("extends: " + parent.string() + " is not a JSON object" + in_file);
    return doc;
  }
  return merge_config(std::move(base), doc);
}

}  // namespace

ordered_json merge_config(ordered_json parent, const ordered_json& child, const std::string& path) {
  if (!parent.is_object() || !child.is_object()) return child;
  for (auto it = child.begin(); it != child.end(); ++it) {
    const std::string at = path.empty() ? it.key() : path + "." + it.key();
    const auto existing = parent.find(it.key());
    if (it->is_null() && null_removes(path, at)) {
      if (existing != parent.end()) parent.erase(existing);
    } else if (existing != parent.end() && existing->is_object() && it->is_object() &&
               at.rfind("sweep.", 0) != 0) {
      *existing = merge_config(std::move(*existing), *it, at);  // a sweep axis is replaced whole
    } else {
      parent[it.key()] = *it;
    }
  }
  return parent;
}

ordered_json resolve_extends(ordered_json doc, const fs::path& file, std::vector<std::string>& problems) {
  std::vector<fs::path> chain{file.lexically_normal()};
  return resolve(std::move(doc), file, chain, problems);
}

}  // namespace bnlab
