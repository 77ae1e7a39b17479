// JSON helpers of the experiment level: parsing a config file's text with file:line:column errors
// and duplicate-key detection, and reading/writing a value at a dotted path.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace bnlab {

// Limits on untrusted config text, checked before a JSON tree is built (docs/cli.md, "Limits"): a
// deeper nesting or a larger text is refused at once instead of costing seconds and gigabytes.
// No real config nests more than ~5 levels or comes near 256 KiB (the largest study is ~3 KiB).
inline constexpr std::size_t kMaxJsonDepth = 64;                 // [ and { levels
inline constexpr std::size_t kMaxConfigBytes = 256 * 1024;       // a config file's text
inline constexpr std::size_t kMaxSetValueBytes = 64 * 1024;      // one --set KEY=VALUE

// The 0-based byte offset of the first `[` or `{` that opens level max_depth + 1 (strings skipped),
// or npos when `text` nests no deeper than max_depth. Linear, allocates nothing.
std::size_t find_too_deep(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// Parses `text` keeping key order. Text over kMaxConfigBytes or nested deeper than kMaxJsonDepth
// throws ConfigError before parsing ("<source>:<line>:<column>: ..." for the nesting). A syntax error throws ConfigError
// "<source>:<line>:<column>: syntax error ..."; a key repeated in one object (JSON keeps the
// last silently, which hides a mistake) appends "<path>: duplicate key ..." to `problems`.
nlohmann::ordered_json parse_json_text(const std::string& text, const std::string& source,
                                       std::vector<std::string>& problems);

// The text of a config file, refused (ConfigError naming the file) when it is a directory or
// unreadable; at most kMaxConfigBytes + 1 bytes are read, so parse_json_text refuses a larger file
// without reading it all (/dev/zero costs nothing).
std::string read_config_text(const std::string& path);

// Line and column (both 1-based) of the byte at 1-based offset `byte` in `text`.
std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t byte);

// Sets `doc` at a dotted path ("model.hidden"), creating objects on the way. Returns "" or the
// problem: the prefix on the way that holds something other than an object.
std::string set_path(nlohmann::ordered_json& doc, std::string_view path, nlohmann::ordered_json value);

// The value at a dotted path, or nullptr.
const nlohmann::json* find_path(const nlohmann::json& doc, std::string_view path);

// Whether `path` is `prefix` or lies under it ("model.hidden" under "model").
bool path_within(std::string_view path, std::string_view prefix);

}  // namespace bnlab
