// Decoded, standardized data sets kept in files that every run and job of a sweep maps instead of
// decoding the gz files (or generating the synthetic images) again: in a one-step run that was a
// third of the time, in every child process of --jobs (issue 18).
//
// One file per data set: <folder>/<16 hex digits>.bin, named by a hash of its key. The key is what
// the data depend on: the data set, the CRC-32 of each data file read (data_files), train_size,
// test_size, val_size, the seed for synthetic data, and the standardization and split rules (a
// format version raised when either changes). Layout: "BNLDATA1", the header length (8 bytes,
// little endian), a JSON header (the key, shapes, offsets, standardization statistics, a checksum
// of the payload), then train, validation and test images (f32) and labels (i32), each starting on
// a 64-byte boundary.
//
// A file is trusted only after it is validated on open: magic, header, key equal to the wanted key,
// size, offsets, and the payload's checksum (read with pread, so checking does not make the
// mapping resident). A stale or corrupt file is rebuilt with a warning. A file is written to a
// temporary name and renamed into place: two jobs racing both write whole files and the last
// rename wins; a reader keeps the file it mapped. When the folder cannot be written, the data are
// used from memory with a warning: the cache saves time, it never fails a run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "data/dataset.hpp"

namespace bnlab {

// How load_data_cached got its data.
enum class CacheOutcome {
  reused,   // a valid file was mapped
  built,    // no file: loaded, written, mapped
  rebuilt,  // a stale or corrupt file was replaced (warning logged)
  memory,   // the file could not be written: loaded into memory (warning logged)
};

struct CachedSplit {
  DataSplit split;
  CacheOutcome outcome = CacheOutcome::built;
};

// load_data(cfg, seed), through the cache folder `folder` (created when missing). The images of
// a split from a file are mapped read-only (Dataset::mapped_images); labels are copied. Throws what
// load_data throws.
CachedSplit load_data_cached(const DataConfig& cfg, std::uint64_t seed, const std::filesystem::path& folder);

// The cache file that holds the data of (cfg, seed) in `folder` (computes the data files' checksums).
std::filesystem::path data_cache_file(const DataConfig& cfg, std::uint64_t seed, const std::filesystem::path& folder);

}  // namespace bnlab
