// Files written so that a killed process never leaves a half-written one: the text goes to a
// temporary name in the same folder (".<name>.tmp.<host>-<pid>") and is renamed into place, which POSIX
// makes atomic. Stale temporaries from a killed run are ignored by readers and removed by
// remove_stale_temporaries().
#pragma once

#include <filesystem>
#include <string>

namespace bnlab {

void write_file_atomic(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);  // IoError if it cannot be read
bool is_temporary(const std::filesystem::path& path);
void remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace bnlab
