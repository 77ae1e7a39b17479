// bnlab info: versions, the CPU ISA oneDNN dispatches to, threads, and where the data is.
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "core/build_info.hpp"
#include "core/runtime.hpp"
#include "data/dataset.hpp"

namespace bnlab::cli {

void setup_info(CLI::App& app, int& exit_code) {
  auto json_output = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("info", "Versions, CPU ISA oneDNN uses, threads, data paths");
  cmd->add_flag("--json", *json_output, "One JSON object on stdout instead of the table");
  cmd->callback([json_output, &exit_code] {
    namespace fs = std::filesystem;
    const fs::path dir = default_fashion_mnist_dir();
    std::error_code ec;
    const bool found = fs::exists(dir / "train-images-idx3-ubyte.gz", ec) || fs::exists(dir / "train-images-idx3-ubyte", ec);
    exit_code = kOk;
    const BuildInfo& build = build_info();
    const std::string commit = build.git_commit + (!build.git_dirty ? "" : *build.git_dirty ? " (dirty)" : "");
    if (*json_output) {
      const nlohmann::json info = {{"bnlab", BNLAB_VERSION},
                                   {"onednn", dnnl_version()},
                                   {"onednn_isa", dnnl_isa()},
                                   {"cores", std::thread::hardware_concurrency()},
                                   {"threads", num_threads()},
                                   {"fashion_mnist_dir", dir.string()},
                                   {"fashion_mnist_found", found},
                                   {"git_commit", build.git_commit},
                                   {"git_dirty", build.git_dirty ? nlohmann::json(*build.git_dirty) : nlohmann::json()},
                                   {"compiler", build.compiler},
                                   {"build_type", build.build_type}};
      std::cout << info.dump(2) << '\n';
      return;
    }
    std::cout << "bnlab          " << BNLAB_VERSION << '\n'
              << "built from     " << commit << ", " << build.compiler << ", " << build.build_type << '\n'
              << "oneDNN         " << dnnl_version() << '\n'
              << "oneDNN ISA     " << dnnl_isa() << '\n'
              << "cores          " << std::thread::hardware_concurrency() << '\n'
              << "threads        " << num_threads() << " (OpenMP default; `run --threads` sets it per run)\n"
              << "fashion-mnist  " << dir.string() << (found ? " (found)" : " (not found: apt-get install dataset-fashion-mnist)")
              << '\n';
  });
}

}  // namespace bnlab::cli
