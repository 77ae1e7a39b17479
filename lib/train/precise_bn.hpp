// Precise BN (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm", section 3): after training,
// replace each BN layer's running statistics — an exponential moving average (EMA) over training
// steps whose weights kept changing — by the population statistics of its input under the FINAL
// weights, and evaluate with those. With a test accuracy from EMA statistics (the normal eval),
// from precise statistics, and from batch statistics (each test batch normalized by its own
// statistics, as in training), the two causes of BN's small-batch degradation come apart:
// a noisy training signal (all three low) versus wrong inference statistics (precise recovers
// what EMA loses).
//
// The pass: the first `samples` training images (rounded down to a multiple of `batch_size`) are
// forwarded in batches of `batch_size` in Mode::eval_batch_stats — every norm normalizes each batch
// by its own statistics as in training, nothing is updated — and each BN layer (BatchNorm and its
// variants: renorm, ghost, noisy) gathers the exact mean and variance of all its input values over
// the pass (BatchNorm::PopulationStats). Then
//   precise running_mean = that mean,  precise running_var = that variance · M/(M-1)
// (M values per channel; unbiased, the convention of running_var, PyTorch's). Wu & Johnson
// aggregate per-batch statistics the same way (mean of batch means; variance of all values).
// Batch statistics on the test set: batches of `batch_stats_batch` (train.batch_size) images in
// file order, the last incomplete batch left out (its size could be 1).
//
// Per BN layer (in forward order, `layer` counted from 0 among BN layers, with its path name) the
// gap between the EMA and the precise statistics, per channel, with the definitions of the
// batch_stats probe (population = the precise statistics):
//   mean gap = |ema_mean - mean| / sqrt(var + eps)   (eps = 1e-5; in population standard deviations)
//   var gap  = |ema_var / var - 1|                   (both unbiased; channels with var 0 left out)
// as the mean and the 90th percentile over channels. The network is left as it was found: EMA
// statistics restored, no parameter touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "layers/batch_norm.hpp"
#include "model/network.hpp"
#include "train/loss.hpp"

namespace bnlab {

struct PreciseBnConfig {
  std::int64_t samples = 0;     // training images for the population statistics (0: off)
  std::int64_t batch_size = 0;  // batch of the statistics pass (0: train.batch_size)
};

struct PreciseBnLayer {
  std::string path;
  std::int64_t channels = 0;
  double mean_gap = 0, mean_gap_p90 = 0, var_gap = 0, var_gap_p90 = 0;
};

struct PreciseBnResult {
  std::int64_t samples = 0;         // training images the statistics came from
  Evaluation test_precise;          // eval mode with the precise statistics, whole test set
  Evaluation val_precise;           // the same on the validation set (NaN without one)
  Evaluation test_batch_stats;      // Mode::eval_batch_stats in batches of batch_stats_batch
  std::int64_t batch_stats_samples = 0;  // test images of that evaluation
  std::vector<PreciseBnLayer> layers;    // one per BN layer, in forward order
};

// Whether the network has a layer with running statistics that precise BN would replace.
bool has_running_statistics(Network& net);

// The pass alone: the population statistics of every BN layer's input (in forward order) over the
// first `samples` training images in batches of `batch_size` (samples a multiple of it).
// Nothing in the network changes.
std::vector<BatchNorm::PopulationStats> population_statistics(Network& net, const Dataset& train, std::int64_t samples,
                                                              std::int64_t batch_size);

// Runs the pass and the evaluations above. Throws ConfigError when the network has no BN layer,
// or the training set has fewer than batch_size images, or batch_size < 2, or the test set has
// fewer than batch_stats_batch images.
PreciseBnResult evaluate_precise_bn(Network& net, const Dataset& train, const Dataset& test, const Dataset* validation,
                                    const PreciseBnConfig& config, std::int64_t batch_stats_batch);

}  // namespace bnlab
