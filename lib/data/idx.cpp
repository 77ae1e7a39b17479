// IDX reading on top of zlib's gzFile (reads gzipped and plain files alike). The payload is read in
// chunks so that a corrupt header promising gigabytes cannot make us allocate them up front: the
// buffer only grows as real bytes arrive.
#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "core/errors.hpp"

namespace bnlab {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw DataError(path.string() + ": " + what);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// What a magic number says about a file, for error messages.
std::string describe_magic(std::uint32_t magic) {
  if ((magic >> 16) != 0) return "not an IDX file";
  const std::uint32_t type = (magic >> 8) & 0xff, ndims = magic & 0xff;
  std::string type_name = type == 0x08 ? "ubyte" : type == 0x09 ? "byte" : type == 0x0b ? "short"
                        : type == 0x0c ? "int" : type == 0x0d ? "float" : type == 0x0e ? "double"
                        : "unknown type";
  return "idx" + std::to_string(ndims) + " " + type_name;
}

// A gzFile that closes itself; read() fills as many bytes as the file has, up to n.
class GzReader {
 public:
  explicit GzReader(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(st)) fail(path, "file not found");
    if (std::filesystem::is_directory(st)) fail(path, "is a directory, not an IDX file");
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) fail(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
    gzbuffer(file_, 1 << 17);
  }
  ~GzReader() {
    if (file_) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes into dst; returns how many were read (< n only at the end of the file).
  // A read error or corrupt gzip stream throws.
  std::size_t read(std::uint8_t* dst, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const auto want = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 20));
      const int r = gzread(file_, dst + got, want);
      if (r < 0) throw_stream_error();
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    if (got < n) {
      int errnum = Z_OK;
      gzerror(file_, &errnum);
      if (errnum != Z_OK && errnum != Z_BUF_ERROR) throw_stream_error();
    }
    return got;
  }

  bool gzip_ended_early() {
    int errnum = Z_OK;
    gzerror(file_, &errnum);
    return errnum == Z_BUF_ERROR;
  }

 private:
  [[noreturn]] void throw_stream_error() {
    int errnum = Z_OK;
    const char* msg = gzerror(file_, &errnum);
    if (errnum == Z_ERRNO) fail(path_, std::string("read error: ") + std::strerror(errno));
    std::string detail = msg ? msg : "unknown error";
    const std::string prefix = path_.string() + ": ";  // zlib prefixes its message with the path
    if (detail.rfind(prefix, 0) == 0) detail.erase(0, prefix.size());
    fail(path_, "corrupt gzip data: " + detail);
  }

  std::filesystem::path path_;
  gzFile file_ = nullptr;
};

std::uint32_t read_be32(GzReader& in, const std::filesystem::path& path, const char* what) {
  std::uint8_t b[4];
  const std::size_t got = in.read(b, 4);
  if (got < 4) {
    fail(path, std::string("truncated: file ends inside the IDX header (reading ") + what + ")");
  }
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

void check_magic(std::uint32_t magic, std::uint32_t expected, const std::filesystem::path& path,
                 const char* expected_what) {
  if (magic == expected) return;
  fail(path, "wrong magic " + hex32(magic) + " (" + describe_magic(magic) + "), expected " +
                 hex32(expected) + " (" + expected_what + ")");
}

// Reads exactly `expected` payload bytes and checks that nothing follows them.
std::vector<std::uint8_t> read_payload(GzReader& in, const std::filesystem::path& path,
                                       std::int64_t expected, const char* what) {
  std::vector<std::uint8_t> out;
  const auto total = static_cast<std::size_t>(expected);
  const std::size_t chunk = std::size_t{16} << 20;
  std::size_t got = 0;
  while (got < total) {
    const std::size_t want = std::min(chunk, total - got);
    out.resize(got + want);
    const std::size_t r = in.read(out.data() + got, want);
    got += r;
    if (r < want) break;
  }
  if (got < total) {
    fail(path, "truncated: expected " + std::to_string(total) + " " + what + " bytes, got " +
                   std::to_string(got) + (in.gzip_ended_early() ? " (gzip stream ends early)" : ""));
  }
  std::uint8_t extra[64];
  if (const std::size_t more = in.read(extra, sizeof extra); more > 0) {
    fail(path, "more data than the header promises: expected " + std::to_string(total) + " " +
                   what + " bytes, found at least " + std::to_string(more) + " more");
  }
  if (in.gzip_ended_early()) {  // all data there, but the gzip trailer (CRC, length) is cut off
    fail(path, "truncated: the gzip stream ends before its trailer; the download is incomplete");
  }
  return out;
}

}  // namespace

IdxImages read_idx_images(const std::filesystem::path& path) {
  GzReader in(path);
  check_magic(read_be32(in, path, "magic"), kIdxImagesMagic, path, "idx3 ubyte images");
  IdxImages img;
  img.count = read_be32(in, path, "image count");
  img.rows = read_be32(in, path, "rows");
  img.cols = read_be32(in, path, "cols");
  if (img.count > kIdxMaxCount) {
    fail(path, "absurd image count " + std::to_string(img.count) + " (limit " +
                   std::to_string(kIdxMaxCount) + "); the header is corrupt");
  }
  if (img.rows < 1 || img.rows > kIdxMaxSide || img.cols < 1 || img.cols > kIdxMaxSide) {
    fail(path, "absurd image size " + std::to_string(img.rows) + "x" + std::to_string(img.cols) +
                   " (each side must be 1.." + std::to_string(kIdxMaxSide) + "); the header is corrupt");
  }
  img.pixels = read_payload(in, path, img.count * img.rows * img.cols, "pixel");
  return img;
}

std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path) {
  GzReader in(path);
  check_magic(read_be32(in, path, "magic"), kIdxLabelsMagic, path, "idx1 ubyte labels");
  const std::int64_t count = read_be32(in, path, "label count");
  if (count > kIdxMaxCount) {
    fail(path, "absurd label count " + std::to_string(count) + " (limit " +
                   std::to_string(kIdxMaxCount) + "); the header is corrupt");
  }
  return read_payload(in, path, count, "label");
}

}  // namespace bnlab
