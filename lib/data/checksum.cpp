#include "data/checksum.hpp"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "core/errors.hpp"

namespace bnlab {

namespace fs = std::filesystem;

std::string file_checksum(const fs::path& file) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, std::uintmax_t, fs::file_time_type::rep>, std::string> known;
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  if (ec) throw DataError(file.string() + ": cannot read: " + ec.message());
  const auto key = std::make_tuple(file.string(), size, mtime);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = known.find(key); it != known.end()) return it->second;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(file.string() + ": cannot open");
  uLong crc = crc32(0L, Z_NULL, 0);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(buffer.data()), static_cast<uInt>(in.gcount()));
  }
  if (in.bad()) throw DataError(file.string() + ": read error");
  char text[16];
  std::snprintf(text, sizeof text, "%08lx", static_cast<unsigned long>(crc));
  const std::string out = std::string("crc32:") + text;
  std::lock_guard<std::mutex> lock(mutex);
  known.emplace(key, out);
  return out;
}

}  // namespace bnlab
