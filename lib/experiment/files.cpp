#include "experiment/files.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"

namespace bnlab {

namespace fs = std::filesystem;

namespace {

// ".<name>.tmp.<host>-<pid>": unique among the processes writing into one folder, also when shards
// on several machines share it (collect at the end of each shard writes runs.csv).
std::string temporary_name(const fs::path& path) {
  static const std::string suffix = [] {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "-" + std::to_string(::getpid());
  }();
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp.";
  name += suffix;
  return name;
}

}  // namespace

void write_file_atomic(const fs::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.parent_path() / temporary_name(path);
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw IoError("cannot write " + tmp.string());
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                    ::fsync(::fileno(f)) == 0;
    std::fclose(f);
    if (!ok) {
      fs::remove(tmp, ec);
      throw IoError("cannot write " + tmp.string() + " (disk full?)");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("cannot rename into " + path.string() + ": " + ec.message());
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool is_temporary(const fs::path& path) {
  const auto name = path.filename().string();
  return name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos;
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_temporary(entry.path())) fs::remove(entry.path(), ec);
}

}  // namespace bnlab
