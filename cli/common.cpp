#include "common.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "core/errors.hpp"
#include "experiment/runner.hpp"

namespace bnlab::cli {

namespace {
std::string g_color = "auto";
std::vector<std::string> g_command_line;
}  // namespace

void set_command_line(int argc, char** argv) { g_command_line.assign(argv, argv + argc); }
const std::vector<std::string>& command_line() { return g_command_line; }

void set_color(const std::string& when) { g_color = when; }

bool colors_wanted(bool is_terminal) {
  if (g_color == "always") return true;
  if (g_color == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org: set and non-empty means no colour
  return is_terminal && !(no_color && *no_color);
}

static_assert(kIoFailed == kExitIoError, "exec-run's exit status for an I/O error is what the runner looks for");

void setup_logging(int verbosity) {
  // spdlog colours only a terminal by itself; NO_COLOR and --color decide before it.
  const auto mode = g_color == "always" ? spdlog::color_mode::always
                    : colors_wanted(true) ? spdlog::color_mode::automatic
                                          : spdlog::color_mode::never;
  auto logger = spdlog::stderr_color_mt("bnlab", mode);
  logger->set_pattern("%^[%H:%M:%S %l]%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity < 0 ? spdlog::level::warn : verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
  spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=debug overrides
}

int guarded(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const ConfigError& e) {
    for (const auto& line : e.problems()) std::cerr << "bnlab: " << line << '\n';
    return kBadInput;
  } catch (const DataError& e) {
    std::cerr << "bnlab: data: " << e.what() << '\n';
    return kBadData;
  } catch (const IoError& e) {  // names the file and the OS reason
    std::cerr << "bnlab: " << e.what() << '\n';
    return kIoFailed;
  } catch (const std::exception& e) {
    std::cerr << "bnlab: " << e.what() << '\n';
    return kRunFailed;
  }
}

}  // namespace bnlab::cli
