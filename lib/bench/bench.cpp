#include "bench/bench.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

#include "bench/reference_models.hpp"
#include "bench/sections.hpp"
#include "core/context.hpp"
#include "core/errors.hpp"
#include "core/machine.hpp"
#include "util/csv.hpp"

namespace bnlab {

const std::vector<std::string>& bench_sections() {
  static const std::vector<std::string> names{"machine", "layers", "steps"};
  return names;
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The 1-minute load average (Linux), or -1 where there is none.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return in ? load : -1;
}

// Timings are only comparable with the load they were taken at (docs/performance.md "Performance").
void log_load(const char* when) {
  const double load = load_average();
  const unsigned cores = std::thread::hardware_concurrency();
  if (load < 0) return;
  if (load > 0.5 * cores)
    spdlog::warn("bench {}: load average {:.2f} on {} cores: other processes share the CPU, timings are noisy "
                 "(compare rows of the same run; more threads suffer most)", when, load, cores);
  else
    spdlog::info("bench {}: load average {:.2f} on {} cores", when, load, cores);
}

}  // namespace

void validate(const BenchOptions& o) {
  std::vector<std::string> problems;
  auto check_names = [&](const char* what, const std::vector<std::string>& given, const std::vector<std::string>& valid) {
    if (given.empty()) problems.push_back(std::string("bench: ") + what + ": empty selection");
    for (const auto& g : given)
      if (!contains(valid, g))
        problems.push_back(std::string("bench: ") + what + ": unknown '" + g + "' (valid: " + joined(valid) + ")");
  };
  check_names("sections", o.sections, bench_sections());
  check_names("models", o.models, reference_model_names());
  check_names("norms", o.norms, reference_norm_kinds());
  if (o.threads.empty()) problems.push_back("bench: threads: empty selection");
  for (const int t : o.threads)
    if (t < 1) problems.push_back("bench: threads: " + std::to_string(t) + " is not >= 1");
  auto check_batches = [&](const char* what, const std::vector<std::int64_t>& batches) {
    if (batches.empty()) problems.push_back(std::string("bench: ") + what + ": empty selection");
    for (const auto b : batches)  // batch norm in training needs more than one value per channel
      if (b < 2) problems.push_back(std::string("bench: ") + what + ": " + std::to_string(b) + " is not >= 2");
  };
  check_batches("batches", o.batches);
  check_batches("layer batches", o.layer_batches);
  if (o.timing.repeats < 1) problems.push_back("bench: repeats must be >= 1");
  if (!(o.timing.min_repeat_ms >= 0) || !(o.timing.warmup_ms >= 0))
    problems.push_back("bench: min repeat time and warm-up must be >= 0 ms");
  if (o.matmul_size < 16) problems.push_back("bench: matmul size must be >= 16");
  if (o.copy_mib < 1) problems.push_back("bench: copy size must be >= 1 MiB");
  if (!problems.empty()) throw ConfigError(problems);
}

const std::vector<std::string>& bench_columns() {
  static const std::vector<std::string> columns{
      "section", "name",     "model",         "norm",     "layout",       "shape",       "batch",
      "threads", "repeats",  "ms_median",     "ms_min",   "samples_per_s", "gb_per_s",   "frac_copy_bw",
      "gflop_per_s", "frac_peak", "floor_ms", "x_floor"};
  return columns;
}

std::string bench_csv_header() { return csv_line(bench_columns()); }

std::string bench_number(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
  const int decimals = std::clamp(3 - magnitude, 0, 12);
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  std::string text = out.str();
  if (text.find('.') != std::string::npos) {  // no trailing zeros: 0.5000 -> 0.5
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

std::string bench_csv_row(const BenchRow& r) {
  const double ms = r.timing.median_ms;
  auto per_ms = [&](double amount) { return amount > 0 && ms > 0 ? amount / ms : NAN; };
  auto if_set = [](double value) { return value > 0 ? value : NAN; };
  const double gbps = per_ms(r.bytes) / 1e6;             // bytes per ms -> GB/s
  const double gflops = per_ms(r.flops) / 1e6;           // FLOP per ms -> GFLOP/s
  const double samples = r.section == "steps" ? per_ms(static_cast<double>(r.batch)) * 1e3 : NAN;
  double floor_ms = NAN;
  if (r.flops > 0 && r.peak_gflops > 0) floor_ms = r.flops / (r.peak_gflops * 1e6);
  if (r.bytes > 0 && r.copy_gbps > 0) floor_ms = std::fmax(std::isnan(floor_ms) ? 0 : floor_ms, r.bytes / (r.copy_gbps * 1e6));
  std::vector<std::string> cells{
      csv_escape(r.section), csv_escape(r.name), csv_escape(r.model), csv_escape(r.norm), csv_escape(r.layout),
      csv_escape(r.shape), r.batch > 0 ? std::to_string(r.batch) : "", std::to_string(r.threads),
      std::to_string(r.timing.repeats), bench_number(ms), bench_number(r.timing.min_ms), bench_number(samples),
      bench_number(gbps), bench_number(gbps / if_set(r.copy_gbps)), bench_number(gflops),
      bench_number(gflops / if_set(r.peak_gflops)), bench_number(floor_ms), bench_number(ms / floor_ms)};
  return csv_line(cells);
}

namespace bench_detail {

void run_machine(const BenchOptions& o, Machine& machine, const Emit& emit) {
  for (const int threads : o.threads) {
    set_num_threads(threads);
    BenchRow row;
    row.section = "machine";
    row.threads = threads;

    MatmulProbe matmul(o.matmul_size);
    row.name = "matmul_f32";
    row.shape = bench_detail::shape_text({o.matmul_size, o.matmul_size, o.matmul_size});  // m x n x k
    row.flops = matmul.flops();
    row.timing = measure([&] { matmul.run(); }, o.timing);
    machine[threads].peak_gflops = row.flops / (row.timing.median_ms * 1e6);
    emit(row);

    CopyProbe copy(o.copy_mib << 20);
    row.name = "copy";
    row.shape = std::to_string(o.copy_mib) + "MiB";
    row.flops = 0;
    row.bytes = copy.bytes_moved();
    row.timing = measure([&] { copy.run(); }, o.timing);
    machine[threads].copy_gbps = row.bytes / (row.timing.median_ms * 1e6);
    emit(row);
  }
}

}  // namespace bench_detail

void run_bench(const BenchOptions& options, const std::function<void(const BenchRow&)>& emit) {
  validate(options);
  const int threads_before = num_threads();
  bench_detail::Machine machine;
  long rows = 0;
  const bench_detail::Emit complete = [&](BenchRow row) {
    const auto it = machine.find(row.threads);
    if (it != machine.end()) {
      row.peak_gflops = it->second.peak_gflops;
      row.copy_gbps = it->second.copy_gbps;
    }
    spdlog::info("bench [{}] {} {} {}{}{} threads {}: {} ms", ++rows, row.section, row.name, row.model,
                 row.norm.empty() ? "" : "/" + row.norm, row.shape.empty() ? "" : " " + row.shape, row.threads,
                 bench_number(row.timing.median_ms));
    emit(row);
  };
  log_load("start");
  const auto selected = [&](const char* section) { return contains(options.sections, section); };
  if (selected("machine")) bench_detail::run_machine(options, machine, complete);
  if (selected("layers")) bench_detail::run_layers(options, complete);
  if (selected("steps")) bench_detail::run_steps(options, complete);
  set_num_threads(threads_before);
  log_load("end");
}

}  // namespace bnlab
