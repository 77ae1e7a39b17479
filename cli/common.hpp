// What every subcommand shares: log set-up and the one place that turns an error into a line on
// stderr and an exit status (README, "Exit status").
#pragma once

#include <functional>
#include <string>

namespace bnlab::cli {

enum Exit : int { kOk = 0, kRunFailed = 1, kBadInput = 2, kBadData = 3, kIoFailed = 4 };

// -q / -v / SPDLOG_LEVEL: logs go to stderr only.
void setup_logging(int verbosity);  // -1 quiet (warnings and errors), 0 info, 1 debug

// Runs fn; a thrown error becomes one clear line on stderr and its exit status.
int guarded(const std::function<int()>& fn);

}  // namespace bnlab::cli
