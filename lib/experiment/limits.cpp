#include "experiment/limits.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "data/dataset.hpp"
#include "core/errors.hpp"
#include "model/presets.hpp"
#include "train/train_config.hpp"

namespace bnlab {

namespace {

// Peak RSS of a `bnlab run` of a tiny synthetic MLP (code, oneDNN, OpenMP, logging), measured as
// 40-55 MB; rounded up.
constexpr double kProcessMb = 64;

// A cgroup memory limit in bytes from a memory.max / memory.limit_in_bytes file ("max": none).
std::optional<double> cgroup_limit(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::int64_t read_machine_memory_mb() {
  double bytes = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  // cgroup v2: "0::/path" in /proc/self/cgroup; v1: the memory controller's own file.
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  while (std::getline(cgroups, line))
    if (line.rfind("0::", 0) == 0)
      if (auto limit = cgroup_limit("/sys/fs/cgroup" + line.substr(3) + "/memory.max")) bytes = std::min(bytes, *limit);
  if (auto limit = cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes")) bytes = std::min(bytes, *limit);
  return bytes > 0 ? static_cast<std::int64_t>(bytes / (1024.0 * 1024.0)) : 0;
}

std::string mb(double v) { return fmt::format("{:.0f} MB", std::ceil(v)); }

}  // namespace

std::int64_t machine_memory_mb() {
  static const std::int64_t memory = read_machine_memory_mb();
  return memory;
}

RunMemory estimate_run_memory(const RunConfig& config) {
  const DataShape data = expected_data_shape(config.data);
  RunMemory m;
  const std::int64_t eval_batch = std::min(kEvalChunk, std::max(data.train_n, data.test_n));
  m.model = estimate_model_memory(config.model, data.channels, data.height, data.width, data.num_classes,
                                  config.train.batch_size, eval_batch, config.norm);
  // The whole pool is read when a validation set is held out of it.
  const double images = static_cast<double>(std::max(data.pool_n, data.train_n + data.val_n) + data.test_n);
  const double pixels = images * static_cast<double>(data.channels * data.height * data.width);
  // 4 bytes a standardized float, 1 a byte of the file while it is converted, 4 a label.
  m.data_mb = (pixels * 5 + images * 4) / (1024.0 * 1024.0);
  m.process_mb = kProcessMb;
  return m;
}

std::optional<std::string> memory_problem(const RunConfig& config) {
  RunMemory m;
  try {
    m = estimate_run_memory(config);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  const std::int64_t machine = machine_memory_mb();
  const double limit = config.train.max_memory_mb ? static_cast<double>(*config.train.max_memory_mb)
                                                  : static_cast<double>(machine);
  if (limit <= 0 || m.total_mb() <= limit) return std::nullopt;
  const std::string limit_text = config.train.max_memory_mb ? "train.max_memory_mb is " + mb(limit)
                                                            : "this machine has " + mb(limit) + " (train.max_memory_mb: null)";
  return "model: a run needs about " + mb(m.total_mb()) + " (" + fmt::format("{}", m.model.params) +
         " parameters " + mb(m.model.params_mb) + ", their gradients and momentum " + mb(m.model.optimizer_mb) +
         ", activations of a batch of " + std::to_string(config.train.batch_size) + " " + mb(m.model.train_mb) +
         ", evaluation " + mb(m.model.eval_mb) + ", data " + mb(m.data_mb) + ") but " + limit_text +
         "; make model.hidden/channels/fc or train.batch_size smaller";
}

std::optional<std::string> layers_problem(const RunConfig& config) {
  if (!is_layers_arch(config.model.arch)) return std::nullopt;
  const DataShape data = expected_data_shape(config.data);
  try {
    planned_layers(config.model, config.norm, {data.channels, data.height, data.width}, data.num_classes);
  } catch (const ConfigError& e) {
    // A rule gives one line (a sweep groups its lines by the runs they concern): the first problem.
    const auto& all = e.problems();
    if (all.size() == 1) return all[0];
    return all[0] + " (and " + std::to_string(all.size() - 1) + " more in the layer entries)";
  }
  return std::nullopt;
}

namespace {
const LayerSpec* first_feature_norm(const std::vector<LayerSpec>& specs, const std::string& kind) {
  for (const LayerSpec& spec : specs) {
    if (spec.skipped) continue;
    const Dims& in = spec.in_shape;
    const bool one_value = in.size() == 1 || (in.size() == 3 && in[1] * in[2] == 1);  // per channel and sample
    if (spec.type == LayerType::norm && spec.kind == kind && one_value) return &spec;
    std::vector<const std::vector<LayerSpec>*> inner{&spec.body, &spec.projection};
    for (const auto& branch : spec.branches) inner.push_back(&branch);
    for (const auto* list : inner)
      if (const LayerSpec* found = first_feature_norm(*list, kind)) return found;
  }
  return nullptr;
}
}  // namespace

std::optional<std::string> feature_norm_path(const RunConfig& config, const std::string& kind) {
  if (!is_layers_arch(config.model.arch)) return std::nullopt;
  const DataShape data = expected_data_shape(config.data);
  try {
    const auto planned = planned_layers(config.model, config.norm, {data.channels, data.height, data.width},
                                        data.num_classes);
    if (const LayerSpec* norm = first_feature_norm(planned, kind)) return norm->json_path;
  } catch (const ConfigError&) {
  }
  return std::nullopt;
}

std::optional<std::string> length_problem(const RunConfig& config) {
  const TrainConfig& t = config.train;
  if (t.steps.has_value() == t.epochs.has_value()) return std::nullopt;  // the steps/epochs rule says why
  const std::int64_t train_n = expected_data_shape(config.data).train_n;
  const double steps = planned_steps_exact(t, train_n);
  const double samples = steps * static_cast<double>(t.batch_size);
  if (steps <= kMaxSteps && samples <= kMaxSamples) return std::nullopt;
  const std::string what = t.steps ? fmt::format("train.steps: {}", *t.steps)
                                   : fmt::format("train.epochs: {:g} epochs of {} samples in batches of {} are {:g} steps",
                                                 *t.epochs, train_n, t.batch_size, steps);
  return what + fmt::format(" ({:g} samples); a run may have at most {:g} steps and {:g} samples", samples, kMaxSteps,
                            kMaxSamples);
}

std::optional<std::string> validation_problem(const RunConfig& config) {
  const DataConfig& d = config.data;
  if (d.val_size <= 0) return std::nullopt;
  const DataShape shape = expected_data_shape(d);
  if (d.val_size >= shape.pool_n)
    return fmt::format("data.val_size: {} leaves no training images ({} has {}); hold out fewer", d.val_size,
                       d.dataset, shape.pool_n);
  if (shape.train_n + d.val_size > shape.pool_n)
    return fmt::format("data.train_size: {} plus data.val_size {} is more than the {} training images of {}",
                       shape.train_n, d.val_size, shape.pool_n, d.dataset);
  return std::nullopt;
}

}  // namespace bnlab
