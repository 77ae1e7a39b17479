// bnlab info: versions, the CPU ISA oneDNN dispatches to, threads, and where the data is.
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "commands.hpp"
#include "common.hpp"
#include "core/runtime.hpp"
#include "data/dataset.hpp"

namespace bnlab::cli {

void setup_info(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("info", "Versions, CPU ISA oneDNN uses, threads, data paths");
  cmd->callback([&exit_code] {
    namespace fs = std::filesystem;
    const fs::path dir = default_fashion_mnist_dir();
    std::error_code ec;
    const bool found = fs::exists(dir / "train-images-idx3-ubyte.gz", ec) || fs::exists(dir / "train-images-idx3-ubyte", ec);
    std::cout << "bnlab          " << BNLAB_VERSION << '\n'
              << "oneDNN         " << dnnl_version() << '\n'
              << "oneDNN ISA     " << dnnl_isa() << '\n'
              << "cores          " << std::thread::hardware_concurrency() << '\n'
              << "threads        " << num_threads() << " (OpenMP default; `run --threads` sets it per run)\n"
              << "fashion-mnist  " << dir.string() << (found ? " (found)" : " (not found: apt-get install dataset-fashion-mnist)")
              << '\n';
    exit_code = kOk;
  });
}

}  // namespace bnlab::cli
