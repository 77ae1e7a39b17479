// The sweep syntax beyond a plain list of values (docs/cli.md, "Sweep syntax"):
//
//   "optimizer.lr":     {"logspace": [0.001, 10, 9]}   9 values from 0.001 to 10, equal ratios
//   "model.dropout":    {"linspace": [0, 0.5, 6]}      6 values from 0 to 0.5, equal steps
//   "train.seed":       {"range": [1, 6]}              1, 2, 3, 4, 5 (the stop is excluded, as in
//                       {"range": [10, 0, -5]}         Python and Hydra; the step defaults to 1)
//   "zip":     {"train.batch_size": [32, 64], "optimizer.lr": [0.1, 0.2]}   keys that vary together
//   "exclude": [{"model.norm": "none", "train.batch_size": 2}]             combinations left out
//
// logspace's and linspace's ends are values (numpy.geomspace and numpy.linspace, both included),
// every generated value rounded to 12 significant digits so that the values, and the run ids, do
// not depend on the machine's last bit of pow(). range takes integers only.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "experiment/sweep.hpp"

namespace bnlab {

// The list of an axis: `spec` itself when it is a list, or the values its generator object makes.
// A problem (naming `path`, e.g. "sweep.optimizer.lr.logspace: ...") goes to `problems`.
std::optional<nlohmann::json> sweep_values(const nlohmann::json& spec, const std::string& path,
                                           std::vector<std::string>& problems);

// Whether `spec` is a generator object ({"logspace": ...}), for messages that name it.
bool is_generator(const nlohmann::json& spec);

// sweep.exclude: a list of objects (swept key -> one of its values) against the checked axes.
// Problems name "sweep.exclude[i]" or "sweep.exclude[i].<key>".
std::vector<Exclusion> parse_exclusions(const nlohmann::json& list, const std::vector<SweepAxis>& axes,
                                        std::vector<std::string>& problems);

}  // namespace bnlab
