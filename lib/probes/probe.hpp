// A probe measures something during training (DESIGN.md: lib/probes/) and hands back one table,
// which the run writes as runs/<run_id>/<name>.csv. A probe is a TrainObserver: it reads the
// network, the batch and the optimizer at fixed points of a step and must leave the training
// trajectory unchanged (same seed, same losses, with or without it). Probes are off unless a
// config enables them; a disabled probe is never constructed, so it costs nothing.
#pragma once

#include <string>
#include <vector>

#include "train/observer.hpp"

namespace bnlab {

// A long-format table of numbers; NaN is written as an empty cell.
struct ProbeTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // each of columns.size()
};

class Probe : public TrainObserver {
 public:
  // The probe's name in the config and its file name (<name>.csv).
  virtual std::string name() const = 0;
  virtual const ProbeTable& table() const = 0;
};

}  // namespace bnlab
