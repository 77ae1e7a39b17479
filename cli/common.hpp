// What every subcommand shares: log set-up and the one place that turns an error into a line on
// stderr and an exit status (docs/cli.md, "Exit status").
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace bnlab::cli {

enum Exit : int { kOk = 0, kRunFailed = 1, kBadInput = 2, kBadData = 3, kIoFailed = 4 };

// --color=auto|always|never (main.cpp). auto: colours on a terminal unless NO_COLOR is set and
// non-empty (no-color.org); always and never override NO_COLOR.
void set_color(const std::string& when);
bool colors_wanted(bool is_terminal);

// The command line as given (main.cpp sets it), for the provenance in status.json.
void set_command_line(int argc, char** argv);
const std::vector<std::string>& command_line();

// -q / -v / SPDLOG_LEVEL: logs go to stderr only.
void setup_logging(int verbosity);  // -1 quiet (warnings and errors), 0 info, 1 debug

// Runs fn; a thrown error becomes one clear line on stderr and its exit status.
int guarded(const std::function<int()>& fn);

}  // namespace bnlab::cli
