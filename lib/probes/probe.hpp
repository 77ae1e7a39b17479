// A probe measures something during training (DESIGN.md: lib/probes/) and hands back one table,
// which the run writes as runs/<run_id>/<name>.csv. A probe is a TrainObserver: it reads the
// network, the batch and the optimizer at fixed points of a step and must leave the training
// trajectory unchanged (same seed, same losses, with or without it). Probes are off unless a
// config enables them; a disabled probe is never constructed, so it costs nothing.
//
// A probe may also summarize its table in a few run-level numbers (results()): the run stores them
// in status.json and collect puts them in runs.csv next to final_test_acc, where `bnlab summary`,
// `compare` and claims read them like any other result. Their names are fixed per probe (declared
// in the registry, so runs.csv has the same columns whichever probes a run enabled: a run without
// the probe leaves them empty) and start with the probe's name.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "train/observer.hpp"

namespace bnlab {

// A long-format table of numbers; NaN is written as an empty cell.
struct ProbeTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;  // each of columns.size()
};

// A runs.csv result column a probe contributes, and what it means (the config reference lists it).
struct ProbeResultColumn {
  std::string name, description;
};

class Probe : public TrainObserver {
 public:
  // The probe's name in the config and its file name (<name>.csv).
  virtual std::string name() const = 0;
  virtual const ProbeTable& table() const = 0;
  // Run-level results, (column, value), each column among its kind's declared ones; NaN: not
  // measured (e.g. a diverged run), an empty cell.
  virtual std::vector<std::pair<std::string, double>> results() const { return {}; }
};

}  // namespace bnlab
