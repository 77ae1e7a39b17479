// Child processes of the runner (POSIX): spawn with pipes, read their output, describe how they
// ended. A child gets stdin from /dev/null, stdout and stderr into one pipe (its log lines), and
// a second pipe as fd 3 (its progress messages); every other fd of the parent is closed in it
// (all of ours are close-on-exec).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bnlab {

// The fd number a child finds its message pipe at.
inline constexpr int kChildMessageFd = 3;

struct ChildProcess {
  pid_t pid = -1;
  int log_fd = -1;      // read end of the child's stdout+stderr
  int message_fd = -1;  // read end of the child's fd 3
};

// Starts `exe` with `args` (argv[1..]) and the parent's environment with `env` entries
// ("NAME=value") replacing or adding to it, with SIGINT/SIGTERM/SIGHUP at their default
// action and no signal blocked. Throws IoError if it cannot be started.
ChildProcess spawn_child(const std::filesystem::path& exe, const std::vector<std::string>& args,
                         const std::vector<std::string>& env);

// Reads what is available on a non-blocking fd into `buffer` and moves every complete line
// (without '\n') to `lines`. Returns false at end of file (or a read error).
bool read_lines(int fd, std::string& buffer, std::vector<std::string>& lines);

// "exited with status 2", "crashed: signal 11 (Segmentation fault)"; `wait_status` from waitpid.
std::string describe_wait_status(int wait_status);

// CPUs this process may use: its affinity mask, within a Slurm job at most the job's CPUs on this
// node (SLURM_CPUS_ON_NODE); at least 1.
int available_cpus();

}  // namespace bnlab
