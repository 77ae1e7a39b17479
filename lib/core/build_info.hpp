// What this bnlab binary was built from, for the provenance in status.json and `bnlab info`:
// the git commit and dirty flag of its source tree (baked in at build time by
// cmake/build_info.cmake; "unknown" for a tree without git, e.g. a `git archive` tarball), the
// compiler and the CMake build type.
#pragma once

#include <optional>
#include <string>

namespace bnlab {

struct BuildInfo {
  std::string git_commit;          // 40 hex digits, or "unknown"
  std::optional<bool> git_dirty;   // uncommitted changes at build time; unset when unknown
  std::string compiler;            // "gcc 12.2.0", "clang 14.0.6"
  std::string build_type;          // "Release", "Debug", ...
};

const BuildInfo& build_info();

}  // namespace bnlab
