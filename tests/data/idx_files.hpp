// Test helpers for the data module: a self-deleting temp directory and an IDX writer (plain or
// gzipped through zlib) so tests can build valid and deliberately broken files.
#pragma once

#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace bnlab::test {


inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path.string());
    if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

// Header (magic, big-endian dims) followed by payload, exactly as given: tests pass inconsistent
// values on purpose.
inline std::vector<std::uint8_t> idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& dims,
                                           const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> out;
  auto be32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  be32(magic);
  for (auto d : dims) be32(d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline void write_idx(const std::filesystem::path& path, std::uint32_t magic,
                      const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& payload,
                      bool gzip) {
  write_bytes(path, idx_bytes(magic, dims, payload), gzip);
}

// n images of rows x cols with pixel (i, p) = (i * 7 + p * 3) % 256 and labels i % 10.
inline std::vector<std::uint8_t> pattern_pixels(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::vector<std::uint8_t> px(std::size_t{n} * rows * cols);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t p = 0; p < std::size_t{rows} * cols; ++p)
      px[i * rows * cols + p] = static_cast<std::uint8_t>((i * 7 + p * 3) % 256);
  return px;
}
inline std::vector<std::uint8_t> pattern_labels(std::uint32_t n) {
  std::vector<std::uint8_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::uint8_t>(i % 10);
  return labels;
}

// The four files of an MNIST-style directory: n_train / n_test images of rows x cols.
inline void write_idx_dir(const std::filesystem::path& dir, std::uint32_t n_train, std::uint32_t n_test,
                          std::uint32_t rows, std::uint32_t cols, bool gzip) {
  const std::string ext = gzip ? ".gz" : "";
  write_idx(dir / ("train-images-idx3-ubyte" + ext), 0x803, {n_train, rows, cols},
            pattern_pixels(n_train, rows, cols), gzip);
  write_idx(dir / ("train-labels-idx1-ubyte" + ext), 0x801, {n_train}, pattern_labels(n_train), gzip);
  write_idx(dir / ("t10k-images-idx3-ubyte" + ext), 0x803, {n_test, rows, cols},
            pattern_pixels(n_test, rows, cols), gzip);
  write_idx(dir / ("t10k-labels-idx1-ubyte" + ext), 0x801, {n_test}, pattern_labels(n_test), gzip);
}

// The what() of the E that f throws, or "<no exception>" (other exception types propagate).
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace bnlab::test
