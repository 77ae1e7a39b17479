// The checks of an experiment file's "sweep" object (plain lists, generators, a zip group and
// exclusions: sweep_syntax.hpp), shared by sweep.cpp. Not a public interface: use sweep.hpp.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "experiment/sweep.hpp"

namespace bnlab {

// The sweep object -> axes of valid values (a zip group's keys where "zip" stands, marked zipped),
// each value checked on its own at sweep.<key>[i] (sweep.zip.<key>[i] in the group), and the
// exclusions. The key of an axis left without its values goes to `bad_keys`.
std::vector<SweepAxis> check_sweep(const nlohmann::ordered_json& sweep, const nlohmann::ordered_json& base,
                                   std::vector<std::string>& problems, std::vector<std::string>& bad_keys,
                                   std::vector<Exclusion>& exclude);

}  // namespace bnlab
