// Reader for IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// a big-endian magic 0x000008DD (0x08 = unsigned byte, DD = number of dimensions), DD big-endian
// uint32 dimensions, then the bytes in row-major order. Files may be gzipped or plain: zlib's
// gzread reads both transparently.
//
// Anything wrong with a file (missing, unreadable, wrong magic, absurd dimensions, fewer or more
// bytes than the header promises, a corrupt gzip stream) throws DataError whose message starts with
// the file's path and says what is wrong. The reader never returns partial data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace bnlab {

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  // idx3 ubyte: (count, rows, cols)
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  // idx1 ubyte: (count)

// Bounds a header must respect; anything beyond is treated as a corrupt file, not a huge one.
inline constexpr std::int64_t kIdxMaxCount = 100'000'000;
inline constexpr std::int64_t kIdxMaxSide = 4096;

struct IdxImages {
  std::vector<std::uint8_t> pixels;  // (count, rows, cols) row-major, 0..255
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

// idx3 ubyte images (magic 0x00000803).
IdxImages read_idx_images(const std::filesystem::path& path);

// idx1 ubyte labels (magic 0x00000801): one byte per sample.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

}  // namespace bnlab
