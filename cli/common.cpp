#include "common.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/errors.hpp"
#include "experiment/runner.hpp"

namespace bnlab::cli {

static_assert(kIoFailed == kExitIoError, "exec-run's exit status for an I/O error is what the runner looks for");

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("bnlab");
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
