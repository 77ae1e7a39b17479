// Checks that keep a config from asking for more than a machine can give, before anything runs:
// the memory a run needs (estimated from shapes, model/memory_estimate.hpp) against
// train.max_memory_mb or the machine's memory, and the length of the run against kMaxSteps.
// Both are config rules (schema.hpp), so `bnlab validate`, `bnlab run` and every run (which
// parses its config.json again, on the node it runs on) check them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "experiment/config.hpp"
#include "model/memory_estimate.hpp"

namespace bnlab {

struct RunMemory {
  ModelMemory model;
  double data_mb = 0;      // the data set in memory (floats, labels, the file's bytes while loading)
  double process_mb = 0;   // the process before any run: code, oneDNN, OpenMP, the CLI
  double total_mb() const { return model.total_mb() + data_mb + process_mb; }
};

// The estimate of one run of `config` (its data from expected_data_shape). Throws ConfigError as
// estimate_model_memory does.
RunMemory estimate_run_memory(const RunConfig& config);

// The memory this machine gives a process, in MB: physical memory, or the cgroup's limit (a Slurm
// job, a container) when that is lower.
std::int64_t machine_memory_mb();

// The problem of a run whose estimate exceeds its limit (train.max_memory_mb, else
// machine_memory_mb()), or of a cnn too deep for its images; nothing when it fits.
std::optional<std::string> memory_problem(const RunConfig& config);

// The problems of a network of layer entries (model.arch layers, resnet, vgg): its entries, then
// its shapes, each naming its JSON path; nothing for mlp and cnn or a network that plans.
std::optional<std::string> layers_problem(const RunConfig& config);

// The JSON path of the first norm of `kind` in a network of layer entries that sees one value per
// channel and sample ((N, C) features after a linear or flatten, or a 1x1 image after global
// average pooling), or nothing (none, not a layers network, or one that does not plan:
// layers_problem says why).
std::optional<std::string> feature_norm_path(const RunConfig& config, const std::string& kind);

// The problem of a data.val_size that leaves no training images, or too few for data.train_size.
std::optional<std::string> validation_problem(const RunConfig& config);

// The problem of a run longer than kMaxSteps steps or kMaxSamples samples; nothing when it fits.
std::optional<std::string> length_problem(const RunConfig& config);

}  // namespace bnlab
