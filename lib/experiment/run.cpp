#include "experiment/run.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>

#include "core/build_info.hpp"
#include "core/runtime.hpp"
#include "core/errors.hpp"
#include "data/data_file_cache.hpp"
#include "experiment/run_claim.hpp"
#include "util/csv.hpp"
#include "experiment/files.hpp"
#include "experiment/run_check.hpp"
#include "experiment/sweep.hpp"
#include "model/builder.hpp"
#include "probes/registry.hpp"
#include "train/precise_bn.hpp"
#include "train/trainer.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string>& metrics_columns() {
  static const std::vector<std::string> columns = {"step",     "epoch",    "samples",  "lr",      "train_loss",
                                                   "train_acc", "test_loss", "test_acc", "val_loss", "val_acc",
                                                   "wall_s"};
  return columns;
}

const DataSplit& DataCache::get(const DataConfig& config, std::uint64_t seed, const fs::path& files) {
  json key = {{"dataset", config.dataset}, {"dir", config.dir ? json(*config.dir) : json()},
              {"train_size", config.train_size ? json(*config.train_size) : json()},
              {"test_size", config.test_size ? json(*config.test_size) : json()}, {"val_size", config.val_size}};
  if (config.dataset == "synthetic") key["seed"] = seed;  // only generated data depends on the seed
  const std::string text = key.dump();
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->first == text) {
      entries_.splice(entries_.begin(), entries_, it);
      last_source_ = "process";
      return *entries_.front().second;
    }
  while (!entries_.empty() && entries_.size() >= std::max<std::size_t>(capacity_, 1)) entries_.pop_back();
  if (files.empty()) {
    entries_.emplace_front(text, std::make_unique<DataSplit>(load_data(config, seed)));
    last_source_ = "none";
  } else {
    CachedSplit cached = load_data_cached(config, seed, files);
    static const char* const names[] = {"reused", "built", "rebuilt", "memory"};
    last_source_ = names[static_cast<int>(cached.outcome)];
    entries_.emplace_front(text, std::make_unique<DataSplit>(std::move(cached.split)));
  }
  return *entries_.front().second;
}

namespace {

std::string now_iso8601() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Resets the kernel's resident-memory high-water mark (VmHWM) to the current RSS, so that the mark
// read after a run is that run's peak even when earlier runs in this process used more.
void reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  if (clear_refs) clear_refs << "5";
}

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // in kB
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// NaN/inf are not JSON: store them as null (a missing value).
void null_non_finite(json& status) {
  for (auto& [key, value] : status.items())
    if (value.is_number_float() && !std::isfinite(value.get<double>())) value = nullptr;
}

json optional_json(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); }

// What built this binary and the command that started the run (plan.json's command_line).
json provenance(const json& plan) {
  const BuildInfo& b = build_info();
  return {{"git_commit", b.git_commit}, {"git_dirty", b.git_dirty ? json(*b.git_dirty) : json()},
          {"compiler", b.compiler}, {"build_type", b.build_type},
          {"command_line", plan.value("command_line", json())}};
}

// --note and --tag of the invocation that started the run, and the provenance.
void add_annotations(json& status, const json& plan) {
  status["note"] = plan.value("note", "");
  status["tags"] = plan.value("tags", json::array());
  status["provenance"] = provenance(plan);
}

std::string probe_csv(const ProbeTable& table) {
  std::string text = csv_line(table.columns);
  std::vector<std::string> cells;
  for (const auto& row : table.rows) {
    cells.clear();
    for (const double v : row) cells.push_back(csv_number(v));
    text += csv_line(cells);
  }
  return text;
}

// validation: the run has a validation set; without one its cells are empty (not measured), not
// "nan" (measured and not finite).
std::string csv_row(const EvalPoint& p, bool validation) {
  const auto val = [&](double v) { return validation ? csv_measurement(v) : std::string(); };
  return csv_line({std::to_string(p.step), csv_number(p.epoch), std::to_string(p.samples), csv_number(p.lr),
                   csv_measurement(p.train_loss), csv_measurement(p.train_acc), csv_measurement(p.test_loss),
                   csv_measurement(p.test_acc), val(p.val_loss), val(p.val_acc), csv_number(p.wall_s)});
}

// Rewrites metrics.csv after every evaluation, so a killed run shows how far it got.
class MetricsWriter : public TrainObserver {
 public:
  MetricsWriter(fs::path path, bool validation)
      : path_(std::move(path)), validation_(validation), text_(csv_line(metrics_columns())) {}
  void on_eval(const EvalPoint& point) override {
    text_ += csv_row(point, validation_);
    write_file_atomic(path_, text_);
  }
  const std::string& text() const { return text_; }

 private:
  fs::path path_;
  bool validation_;
  std::string text_;
};

class ProgressObserver : public TrainObserver {
 public:
  explicit ProgressObserver(const ProgressFn& fn) : fn_(fn) {}
  void after_update(StepContext& ctx) override {
    if (ctx.step % 10 == 0 || ctx.step == ctx.total_steps) fn_(ctx.step, ctx.total_steps);
  }

 private:
  const ProgressFn& fn_;
};

// Precise BN after a run that finished (train/precise_bn.hpp), when the config asks for it and
// the network has BN layers: status.json's precise_* and batch_stats_* results and precise_bn.csv,
// one row per BN layer. Otherwise those results stay null (empty cells: not measured).
void add_precise_bn(json& status, json& files, const fs::path& dir, const RunConfig& config, Network& net,
                    const DataSplit& data, const TrainResult& r) {
  for (const char* key : {"precise_samples", "precise_test_loss", "precise_test_acc", "precise_val_loss",
                          "precise_val_acc", "batch_stats_test_loss", "batch_stats_test_acc"})
    status[key] = nullptr;
  if (config.train.precise_bn_samples == 0 || r.status != "ok" || !has_running_statistics(net)) return;
  const std::int64_t batch = config.train.batch_size;
  const PreciseBnResult p = evaluate_precise_bn(
      net, data.train, data.test, &data.validation,
      {config.train.precise_bn_samples, config.train.precise_bn_batch > 0 ? config.train.precise_bn_batch : batch}, batch);
  status["precise_samples"] = p.samples;
  status["precise_test_loss"] = p.test_precise.loss;
  status["precise_test_acc"] = p.test_precise.accuracy;
  status["precise_val_loss"] = p.val_precise.loss;  // NaN (null) without a validation set
  status["precise_val_acc"] = p.val_precise.accuracy;
  status["batch_stats_test_loss"] = p.test_batch_stats.loss;
  status["batch_stats_test_acc"] = p.test_batch_stats.accuracy;
  std::string text = csv_line({"layer", "path", "channels", "mean_gap", "mean_gap_p90", "var_gap", "var_gap_p90"});
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const PreciseBnLayer& l = p.layers[i];
    text += csv_line({std::to_string(i), l.path, std::to_string(l.channels), csv_number(l.mean_gap),
                      csv_number(l.mean_gap_p90), csv_number(l.var_gap), csv_number(l.var_gap_p90)});
  }
  write_file_atomic(dir / "precise_bn.csv", text);
  files["precise_bn.csv"] = csv_file_record(text);
}

const char* error_kind(const std::exception& e) {
  if (dynamic_cast<const ConfigError*>(&e)) return "config";
  if (dynamic_cast<const DataError*>(&e)) return "data";
  if (dynamic_cast<const ShapeError*>(&e)) return "shape";
  if (dynamic_cast<const MemoryError*>(&e)) return "memory";
  if (dynamic_cast<const IoError*>(&e)) return "io";
  return "internal";
}

}  // namespace

void prepare_run_dir(const fs::path& dir, const PlannedRun& run) {
  // Cleaning a folder another process works in is what corrupted concurrent invocations (issue 17).
  if (!holds_claim(dir)) throw IoError("cannot prepare " + dir.string() + ": this process does not hold its claim");
  std::error_code ec;
  fs::remove(dir / "status.json", ec);
  // metrics.csv and the probe files of an earlier, unfinished attempt
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".csv") fs::remove(entry.path(), ec);
  remove_stale_temporaries(dir);
  json swept = json::object();
  for (const auto& [key, value] : run.swept) swept[key] = value;
  write_file_atomic(dir / "config.json", run.resolved.dump(2) + "\n");
  json plan = {{"index", run.index}, {"run_id", run.run_id}, {"swept", swept}};
  for (const auto& [key, value] : run.annotations.items()) plan[key] = value;
  write_file_atomic(dir / "plan.json", plan.dump(2) + "\n");
}

json execute_run(const fs::path& dir, DataCache& cache, int threads, const ProgressFn& progress) {
  json status = {{"format_version", kStatusFormatVersion}, {"status", "failed"}, {"started_at", now_iso8601()},
                 {"host", hostname()}};
  const auto t0 = std::chrono::steady_clock::now();
  reset_peak_rss();
  try {
    const json plan = json::parse(read_file(dir / "plan.json"));
    status["run_id"] = plan.at("run_id");
    status["index"] = plan.at("index");
    status["swept"] = plan.at("swept");
    add_annotations(status, plan);
    const RunConfig config = parse_run_config(json::parse(read_file(dir / "config.json")));
    set_num_threads(threads);
    status["threads"] = num_threads();
    status["versions"] = {{"bnlab", BNLAB_VERSION}, {"onednn", dnnl_version()}, {"isa", dnnl_isa()}};

    const auto seed = static_cast<std::uint64_t>(config.train.seed);
    auto phase_start = std::chrono::steady_clock::now();
    // The experiment folder's data cache: every run and job of the sweep maps the same files.
    const fs::path data_cache_dir = dir.parent_path().parent_path() / kDataCacheFolder;
    remove_dead_temporaries(data_cache_dir);  // a killed writer's half-written file
    const DataSplit& data = cache.get(config.data, seed, data_cache_dir);
    const double data_s = seconds_since(phase_start);
    status["data"] = {{"source", data.source}, {"train_samples", data.train.n}, {"val_samples", data.validation.n},
                      {"test_samples", data.test.n}, {"cache", cache.last_source()}};
    status["data"]["files"] = json::object();
    for (const auto& [file, checksum] : data.files) status["data"]["files"][file] = checksum;
    phase_start = std::chrono::steady_clock::now();
    auto net = build_model(config.model, config.norm, config.init,
                           {data.train.channels, data.train.height, data.train.width}, data.train.num_classes, seed);
    Trainer trainer(*net, data.train, data.test, config.train, config.optimizer, config.data.batching,
                    &data.validation);
    const auto probes = make_probes(config.probes, {*net, data.train, data.test, config.model, config.train, config.norm});
    for (const auto& probe : probes) trainer.add_observer(probe.get());
    MetricsWriter metrics(dir / "metrics.csv", data.validation.n > 0);  // after the probes: their on_eval runs first
    trainer.add_observer(&metrics);
    ProgressObserver progress_observer(progress);
    if (progress) trainer.add_observer(&progress_observer);
    const double construct_s = seconds_since(phase_start);
    const TrainResult r = trainer.run();
    // What the run wrote, so that collect can tell a whole file from a damaged one (run_check.hpp).
    phase_start = std::chrono::steady_clock::now();
    json files = {{"metrics.csv", csv_file_record(metrics.text())}};
    for (const auto& probe : probes) {
      const std::string text = probe_csv(probe->table());
      write_file_atomic(dir / (probe->name() + ".csv"), text);
      files[probe->name() + ".csv"] = csv_file_record(text);
      for (const auto& [column, value] : probe->results()) status[column] = value;  // runs.csv results (probe.hpp)
    }
    // Observers are timed one by one: the probes come first, then the metrics writer.
    double probe_s = 0;
    for (std::size_t i = 0; i < probes.size(); ++i) probe_s += r.observer_s.at(i);
    const double write_s = seconds_since(phase_start) + r.observer_s.at(probes.size());

    phase_start = std::chrono::steady_clock::now();
    add_precise_bn(status, files, dir, config, *net, data, r);
    const double precise_s = seconds_since(phase_start);  // its pass and evaluations: part of eval_s

    status["status"] = r.status;
    status["steps"] = r.steps;
    status["total_steps"] = r.total_steps;
    status["final_train_loss"] = r.final.train_loss;
    status["final_train_acc"] = r.final.train_acc;
    status["final_test_loss"] = r.final.test_loss;
    status["final_test_acc"] = r.final.test_acc;
    status["best_test_acc"] = r.best_test_acc;
    status["final_val_loss"] = r.final.val_loss;  // NaN (null) without a validation set
    status["final_val_acc"] = r.final.val_acc;
    status["best_val_acc"] = r.best_val_acc;
    status["steps_to_target"] = optional_json(r.steps_to_target);
    status["steps_to_target_on"] = r.steps_to_target_on;
    status["diverged_at_step"] = optional_json(r.diverged_at_step);
    status["ms_per_step"] = r.ms_per_step;
    // Where the run's time went (docs/results.md, "Results"): phases that do not overlap, so their sum is
    // at most wall_s; the rest is bookkeeping (config, status, progress).
    status["data_s"] = data_s;
    status["build_s"] = construct_s + r.setup_s;
    status["train_s"] = r.train_s;
    status["eval_s"] = r.eval_s + precise_s;
    status["probe_s"] = probe_s;
    status["write_s"] = write_s;
    // Share of the training time (evaluation included) spent in probes, and each probe's seconds.
    status["probe_share"] = r.wall_s > 0 ? probe_s / r.wall_s : 0.0;
    status["probe_s_by_name"] = json::object();
    for (std::size_t i = 0; i < probes.size(); ++i) status["probe_s_by_name"][probes[i]->name()] = r.observer_s.at(i);
    status["params"] = net->num_params();
    status["files"] = std::move(files);
  } catch (const RunInterrupted&) {
    throw;
  } catch (const std::exception& e) {
    status["status"] = "failed";
    status["error"] = e.what();
    status["error_kind"] = error_kind(e);
  }
  status["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  status["peak_rss_mb"] = peak_rss_mb();
  status["finished_at"] = now_iso8601();
  null_non_finite(status);
  write_file_atomic(dir / "status.json", status.dump(2) + "\n");
  return status;
}

json record_failed_run(const fs::path& dir, const std::string& error, const std::string& error_kind, double wall_s) {
  json status = {{"format_version", kStatusFormatVersion}, {"status", "failed"}, {"error", error},
                 {"error_kind", error_kind}, {"host", hostname()}, {"wall_s", wall_s}, {"finished_at", now_iso8601()}};
  status["provenance"] = provenance(json::object());
  try {
    const json plan = json::parse(read_file(dir / "plan.json"));
    for (const char* key : {"run_id", "index", "swept"})
      if (plan.contains(key)) status[key] = plan[key];
    add_annotations(status, plan);
  } catch (const std::exception&) {
    status["run_id"] = dir.filename().string();  // plan.json unreadable: still list the run
  }
  null_non_finite(status);
  write_file_atomic(dir / "status.json", status.dump(2) + "\n");
  return status;
}

json read_status(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "status.json", ec)) return nullptr;
  try {
    return json::parse(read_file(dir / "status.json"));
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace bnlab
