// Config text parsing (positions, duplicate keys) and dotted-path access.
#include "experiment/json_util.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "core/errors.hpp"

namespace bnlab {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// nlohmann's message without its "[json.exception.parse_error.101] " tag and, for a parse error,
// without its own "parse error at line L, column C: " (we give the position in our format).
std::string reason(std::string what) {
  if (!what.empty() && what[0] == '[')
    if (const auto tag_end = what.find("] "); tag_end != std::string::npos) what = what.substr(tag_end + 2);
  if (what.rfind("parse error", 0) == 0)
    if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
  return what;
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// One open object or array while parsing: its path, and what it has seen so far.
struct Frame {
  bool is_array;
  std::string path;
  std::size_t index = 0;              // arrays: the next element's index
  std::string key;                    // objects: the last key
  std::unordered_set<std::string> keys;  // objects: every key (a set: an object may have 10^5 keys)
};

}  // namespace

std::pair<std::size_t, std::size_t> line_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, line_start = 0;  // 0-based offset of the current line's first byte
  const std::size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  for (std::size_t i = 0; i < end; ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, end - line_start + 1};
}

std::size_t find_too_deep(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // skip the escaped character (\" does not end the string)
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

ordered_json parse_json_text(const std::string& text, const std::string& source,
                             std::vector<std::string>& problems) {
  // Both checks come before the tree is built: nlohmann's parser and our path bookkeeping grow
  // with the depth (50,000 levels took 4 GB), and every later step is linear in the size.
  if (text.size() > kMaxConfigBytes)
    throw ConfigError(source + ": larger than " + std::to_string(kMaxConfigBytes / 1024) +
                      " KiB, the most a config may have (a sweep that large is a mistake, or belongs in several files)");
  if (const auto at = find_too_deep(text); at != std::string_view::npos) {
    const auto [line, column] = line_column(text, at + 1);
    throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                      ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels of [ and {; no config needs that");
  }
  std::vector<Frame> stack;
  const auto child_path = [&stack]() -> std::string {
    if (stack.empty()) return "";
    Frame& f = stack.back();
    if (f.is_array) return f.path + "[" + std::to_string(f.index++) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  };
  const auto callback = [&](int, ordered_json::parse_event_t event, ordered_json& parsed) {
    using E = ordered_json::parse_event_t;
    switch (event) {
      case E::object_start: stack.push_back(Frame{false, child_path(), 0, {}, {}}); break;
      case E::array_start: stack.push_back(Frame{true, child_path(), 0, {}, {}}); break;
      case E::object_end:
      case E::array_end:
        if (!stack.empty()) stack.pop_back();
        break;
      case E::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second)
          problems.push_back(child_path() + ": duplicate key (each key may appear once in an object)");
        break;
      }
      case E::value:
        if (!stack.empty() && stack.back().is_array) ++stack.back().index;
        break;
    }
    return true;
  };
  try {
    return ordered_json::parse(text, callback);
  } catch (const ordered_json::parse_error& e) {
    const auto [line, column] = line_column(text, e.byte);
    throw ConfigError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + reason(e.what()));
  } catch (const ordered_json::exception& e) {
    // Number overflow ("1e999") has no position; find the literal it names.
    std::string message = reason(e.what());
    const auto open = message.find('\''), close = message.rfind('\'');
    std::string where = source;
    if (open != std::string::npos && close > open) {
      const auto at = text.find(message.substr(open + 1, close - open - 1));
      if (at != std::string::npos) {
        const auto [line, column] = line_column(text, at + 1);
        where += ":" + std::to_string(line) + ":" + std::to_string(column);
      }
    }
    throw ConfigError(where + ": " + message);
  }
}

std::string set_path(ordered_json& doc, std::string_view path, ordered_json value) {
  ordered_json* node = &doc;
  std::string walked;  // the path of *node
  const auto parts = split(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!node->is_object()) return walked.empty() ? "the config is not an object" : "'" + walked + "' is not an object";
    if (i + 1 == parts.size()) {
      (*node)[parts[i]] = std::move(value);
      break;
    }
    ordered_json& child = (*node)[parts[i]];
    if (child.is_null()) child = ordered_json::object();
    walked += (walked.empty() ? "" : ".") + parts[i];
    node = &child;
  }
  return "";
}

const json* find_path(const json& doc, std::string_view path) {
  const json* node = &doc;
  for (const auto& part : split(path)) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

bool path_within(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
                            path[prefix.size()] == '.');
}

std::string read_config_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

}  // namespace bnlab
