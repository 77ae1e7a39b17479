#include "experiment/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"

namespace bnlab {

namespace fs = std::filesystem;

namespace {

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

constexpr const char* kTmpMark = ".tmp.";

// ".<name>.tmp.<host>-<pid>": unique among the processes writing into one folder, also when shards
// on several machines share it (collect at the end of each shard writes runs.csv).
std::string temporary_name(const fs::path& path) {
  static const std::string suffix = host_name() + "-" + std::to_string(::getpid());
  std::string name = ".";  // built with += : GCC 12 warns (falsely) about "." + string
  name += path.filename().string();
  name += kTmpMark;
  name += suffix;
  return name;
}

// Writes all of `text` to fd (short writes and EINTR retried): 0 or the errno of the failure.
int write_all(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0)
    if (errno != EINTR) return errno;
  return 0;
}

}  // namespace

std::string io_message(const std::string& action, const fs::path& path, int error_number) {
  return action + " " + path.string() + ": " + std::strerror(error_number);
}

void write_file_atomic(const fs::path& path, const std::string& text) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw IoError("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  // Errors name `path`, the file the user knows, not the hidden temporary.
  const fs::path tmp = path.parent_path() / temporary_name(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(io_message("cannot write", path, errno));
  int error_number = write_all(fd, text);
  if (error_number == 0) error_number = fsync_retrying(fd);
  // close can report a failed write too (NFS, quota); EINTR from close must not be retried on Linux.
  if (::close(fd) != 0 && error_number == 0 && errno != EINTR) error_number = errno;
  if (error_number == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) {
    error_number = errno;
    ::unlink(tmp.c_str());
    throw IoError(io_message("cannot rename into place", path, error_number));
  }
  if (error_number != 0) {
    ::unlink(tmp.c_str());
    throw IoError(io_message("cannot write", path, error_number));
  }
}

std::string read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(io_message("cannot read", path, errno));
  std::string text;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error_number = errno;
      ::close(fd);
      throw IoError(io_message("cannot read", path, error_number));
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool is_temporary(const fs::path& path) {
  const auto name = path.filename().string();
  return name.size() > 1 && name[0] == '.' && name.find(kTmpMark) != std::string::npos;
}

bool is_dead_temporary(const fs::path& path) {
  if (!is_temporary(path)) return false;
  const auto name = path.filename().string();
  const std::string owner = name.substr(name.rfind(kTmpMark) + std::strlen(kTmpMark));  // "<host>-<pid>"
  const auto dash = owner.rfind('-');
  if (dash == std::string::npos || owner.substr(0, dash) != host_name()) return false;  // another machine's
  char* end = nullptr;
  const long pid = std::strtol(owner.c_str() + dash + 1, &end, 10);
  if (pid <= 0 || *end != '\0') return false;
  return pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_temporary(entry.path())) fs::remove(entry.path(), ec);
}

void remove_dead_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file(ec) && is_dead_temporary(entry.path())) fs::remove(entry.path(), ec);
}

}  // namespace bnlab
