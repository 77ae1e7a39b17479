// Typed errors of the library. The library throws these and never exits; the CLI catches once,
// prints one line and maps the type to an exit status (docs/cli.md, "Exit status"):
//   ConfigError -> 2, DataError -> 3, IoError -> 4, anything else -> 1.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace bnlab {

// Base of every error bnlab throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad config, --set value or command-line combination. `problems` holds every problem found
// (validation reports all of them, not only the first); what() joins them one per line.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message), problems_{message} {}
  explicit ConfigError(std::vector<std::string> problems)
      : Error(join(problems)), problems_(std::move(problems)) {}
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  static std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
    return out;
  }
  std::vector<std::string> problems_;
};

// Missing, truncated or corrupt data files. The message names the file.
class DataError : public Error {
 public:
  using Error::Error;
};

// Tensor shapes that do not fit together (a programming or config error caught at build time).
class ShapeError : public Error {
 public:
  using Error::Error;
};

// Memory that could not be allocated (a tensor of a layer); the message names what and how much.
class MemoryError : public Error {
 public:
  using Error::Error;
};

// A layer's or component's options out of range, when the library is used directly: the schema
// checks user input first and names the config path; this names the option.
class OptionError : public Error {
 public:
  using Error::Error;
};

// An I/O failure reading or writing results (disk full, file size limit, permissions); the message
// names the real file and the OS reason. Transient: a run that failed on it is retried on rerun.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace bnlab
