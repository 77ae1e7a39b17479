// Files written so that a killed process never leaves a half-written one: the text goes to a
// temporary name in the same folder (".<name>.tmp.<host>-<pid>") and is renamed into place, which POSIX
// makes atomic. Stale temporaries from a killed run are ignored by readers and removed by
// remove_stale_temporaries() (a run folder, by the process that runs it) or remove_dead_temporaries()
// (a folder several processes write into: only those of dead processes on this host).
// Failures throw IoError naming the real file (never the temporary) and the OS reason.
#pragma once

#include <filesystem>
#include <string>

namespace bnlab {

void write_file_atomic(const std::filesystem::path& path, const std::string& text);
std::string read_file(const std::filesystem::path& path);  // IoError if it cannot be read
// "cannot write /x/metrics.csv: No space left on device": `action`, the path and strerror(error_number).
std::string io_message(const std::string& action, const std::filesystem::path& path, int error_number);

bool is_temporary(const std::filesystem::path& path);
// A temporary whose writer, a process on this host, no longer exists.
bool is_dead_temporary(const std::filesystem::path& path);
void remove_stale_temporaries(const std::filesystem::path& dir);  // every temporary in dir
void remove_dead_temporaries(const std::filesystem::path& dir);   // those of dead processes of this host
}  // namespace bnlab
