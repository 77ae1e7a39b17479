// "extends": a config file that states only what differs from another (docs/cli.md, "Config reuse").
//
//   {"extends": "batch_size.json", "name": "batch_size_noniid", "data": {"batching": "by_class"}}
//
// The path is relative to the file that names it. The child's keys are merged into the parent's
// (objects key by key, at any depth; anything else, lists included, is replaced) and the child
// wins. A null replaces like any other value (train.target_accuracy: null means "not measured"),
// except where null is no setting: a null sweep axis (`"sweep": {"optimizer": null}`), probe or
// probe setting removes the parent's. Chains are followed; a cycle is an error naming the files.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bnlab {

// At most this many files in one chain of extends (a deeper chain is a mistake, not a design).
inline constexpr std::size_t kMaxExtendsDepth = 16;

// `doc` (read from `file`) with its chain of extends merged in and every "extends" key removed.
// A problem (bad value, unreadable or cyclic parent) is appended to `problems`, naming the files;
// a syntax error in a parent throws ConfigError "<parent>:<line>:<column>: ...".
nlohmann::ordered_json resolve_extends(nlohmann::ordered_json doc, const std::filesystem::path& file,
                                       std::vector<std::string>& problems);

// The merge of one level: `child` over `parent` (rules above); `path` is "" at the top.
nlohmann::ordered_json merge_config(nlohmann::ordered_json parent, const nlohmann::ordered_json& child,
                                    const std::string& path = "");

}  // namespace bnlab
