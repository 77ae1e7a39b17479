// A checksum of a data file for the provenance in status.json: which bytes a run was trained on.
// CRC-32 (zlib's) of the file as stored: cheap (the whole of Fashion-MNIST in ~50 ms) and enough
// to tell two copies apart, not a defence against tampering. Computed once per process and file
// (path, size and modification time), however many runs read it.
#pragma once

#include <filesystem>
#include <string>

namespace bnlab {

// "crc32:<8 lowercase hex digits>"; throws DataError naming the file when it cannot be read.
std::string file_checksum(const std::filesystem::path& file);

}  // namespace bnlab
