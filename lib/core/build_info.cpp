#include "core/build_info.hpp"

#include <cstring>

#include "bnlab_build_info.h"  // generated into the build folder (cmake/build_info.cmake)

namespace bnlab {

const BuildInfo& build_info() {
  static const BuildInfo info = [] {
    BuildInfo b;
    b.git_commit = BNLAB_GIT_COMMIT;
    if (std::strcmp(BNLAB_GIT_DIRTY, "unknown") != 0) b.git_dirty = std::strcmp(BNLAB_GIT_DIRTY, "true") == 0;
#if defined(__clang__)
    b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    b.compiler = "gcc " __VERSION__;
#else
    b.compiler = "unknown";
#endif
    b.build_type = BNLAB_BUILD_TYPE;
    return b;
  }();
  return info;
}

}  // namespace bnlab
