#include "experiment/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/errors.hpp"

extern char** environ;

namespace bnlab {

namespace {

// Closes fds on scope exit unless released.
struct FdGuard {
  std::vector<int> fds;
  ~FdGuard() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

std::string variable_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

ChildProcess spawn_child(const std::filesystem::path& exe, const std::vector<std::string>& args,
                         const std::vector<std::string>& env) {
  int log_pipe[2], message_pipe[2];
  if (::pipe2(log_pipe, O_CLOEXEC) != 0) throw IoError(std::string("pipe: ") + std::strerror(errno));
  FdGuard guard{{log_pipe[0], log_pipe[1]}};
  if (::pipe2(message_pipe, O_CLOEXEC) != 0) throw IoError(std::string("pipe: ") + std::strerror(errno));
  guard.fds.insert(guard.fds.end(), {message_pipe[0], message_pipe[1]});

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, log_pipe[1], 2);
  // dup2 clears close-on-exec on the new fd. (dup2 onto the same number would not, but the write
  // end made last is at least the fourth free fd, never fd 3.)
  posix_spawn_file_actions_adddup2(&actions, message_pipe[1], kChildMessageFd);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> argv_text = {exe.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text = env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const auto& mine : env) replaced = replaced || variable_name(mine) == variable_name(entry);
    if (!replaced) env_text.push_back(entry);
  }
  std::vector<char*> argv, envp;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int err = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) throw IoError("cannot start " + exe.string() + ": " + std::strerror(err));

  ::close(log_pipe[1]);
  ::close(message_pipe[1]);
  guard.fds.clear();
  for (int fd : {log_pipe[0], message_pipe[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return {pid, log_pipe[0], message_pipe[0]};
}

bool read_lines(int fd, std::string& buffer, std::vector<std::string>& lines) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    const bool open = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    std::size_t start = 0, end;
    while ((end = buffer.find('\n', start)) != std::string::npos) {
      lines.push_back(buffer.substr(start, end - start));
      start = end + 1;
    }
    buffer.erase(0, start);
    if (!open && !buffer.empty()) {  // a last line without '\n'
      lines.push_back(buffer);
      buffer.clear();
    }
    return open;
  }
}

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* name = ::strsignal(sig);
    return "crashed: signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")";
  }
  return "ended with wait status " + std::to_string(wait_status);
}

int available_cpus() {
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  // In a Slurm job without CPU binding (TaskPlugin=task/none) the mask is the whole node; the
  // job's share of it is SLURM_CPUS_ON_NODE.
  const char* slurm_cpus = std::getenv("SLURM_CPUS_ON_NODE");
  if (std::getenv("SLURM_JOB_ID") && slurm_cpus && std::atoi(slurm_cpus) > 0) cpus = std::min(cpus, std::atoi(slurm_cpus));
  return std::max(1, cpus);
}

}  // namespace bnlab
