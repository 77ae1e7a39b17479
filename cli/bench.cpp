// bnlab bench: timing of the machine, norm layers and training steps, as CSV on stdout
// (lib/bench/bench.hpp has the columns; docs/performance.md "Performance" how to read them).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "bench/bench.hpp"
#include "bench/reference_models.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace bnlab::cli {

namespace {

struct BenchCliOptions {
  BenchOptions bench;
  int quiet = 0;
  int verbose = 0;
};

int bench(const BenchCliOptions& o) {
  setup_logging(o.quiet ? -1 : o.verbose ? 1 : 0);
  return guarded([&] {
    validate(o.bench);
    std::cout << bench_csv_header() << std::flush;
    run_bench(o.bench, [](const BenchRow& row) { std::cout << bench_csv_row(row) << std::flush; });
    return static_cast<int>(kOk);
  });
}

}  // namespace

void setup_bench(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchCliOptions>();
  auto& b = o->bench;
  auto* cmd = app.add_subcommand("bench", "Time the machine (FP32 peak, copy bandwidth), norm layers and training "
                                          "steps of the reference models; CSV on stdout, progress on stderr");
  // A comma-separated list option, checked value by value.
  auto list = [cmd](const char* name, auto& values, const char* help, const CLI::Validator& check) {
    cmd->add_option(name, values, help)->delimiter(',')->check(check)->capture_default_str();
  };
  list("--sections", b.sections, "What to measure (comma-separated)", CLI::IsMember(bench_sections()));
  list("--threads", b.threads, "oneDNN/OpenMP thread counts, each measured (comma-separated)", CLI::Range(1, 1024));
  list("--models", b.models, "Reference models of the steps section (comma-separated)",
       CLI::IsMember(reference_model_names()));
  list("--norms", b.norms, "model.norm kinds of the steps section's models (comma-separated)",
       CLI::IsMember(reference_norm_kinds()));
  list("--batches", b.batches, "Batch sizes of the steps section (comma-separated, each >= 2)", CLI::Range(2, 1 << 20));
  list("--layer-batches", b.layer_batches, "Batch sizes of the layers section's shapes (comma-separated)",
       CLI::Range(2, 1 << 20));
  cmd->add_option("--repeats", b.timing.repeats, "Timed repeats per row (the median and min are reported)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--min-time", b.timing.min_repeat_ms, "Each repeat runs the operation for at least this many ms")
      ->check(CLI::Range(0.0, 60000.0))
      ->capture_default_str();
  cmd->add_option("--warmup", b.timing.warmup_ms, "Untimed warm-up per row, in ms (after a first call)")
      ->check(CLI::Range(0.0, 60000.0))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Only warnings and errors on stderr");
  cmd->add_flag("-v,--verbose", o->verbose, "Debug logging on stderr");
  cmd->callback([o, &exit_code] { exit_code = bench(*o); });
}

}  // namespace bnlab::cli
