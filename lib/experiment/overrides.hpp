// --set KEY=VALUE: command-line overrides applied to an experiment file's JSON before it is
// validated and its sweep expanded.
//
//  - KEY is a dotted path: a schema key (train.steps), a whole section (model), probes or any path
//    under it, `sweep` (the whole sweep), `sweep.<key>` (one axis; <key> keeps its dots, e.g.
//    --set sweep.train.seed=[1,2,3]), or `claims` (the whole list; --set claims=null drops them, so
//    that a narrowed sweep need not hold every claim's runs). Anything else is an error naming the --set.
//  - VALUE is parsed as JSON when it parses ([50,50], 0.1, null, "x"), else taken as a string
//    (--set model.norm=batch). For a string key, a VALUE that parses as a number or boolean is
//    taken as its text (--set name=2024 gives "2024").
//  - Overriding a swept key fixes it: --set K=V removes every sweep axis at K, inside K or
//    containing K, so --set model.norm=batch on a none/batch sweep runs only batch. (The file asked
//    for the sweep; the command line, written later and for this run, narrows it.) The key leaves
//    a zip group the same way; an exclude entry naming K keeps its other keys when V is its value
//    and is dropped otherwise. `sweep.zip` and `sweep.exclude` can be --set whole.
//  - train.steps and train.epochs exclude each other: setting one to a number unsets the other and
//    drops its sweep axis, unless the other is --set too (--set train.steps=200 on a config with
//    "epochs": 2 trains 200 steps).
//  - Later --set of the same key wins.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bnlab {

// Applies `sets` in order to `doc` (a whole experiment file). Appends a problem per bad --set and
// the dotted path of each applied one to `set_paths` (sweep axes as "sweep.<key>").
void apply_sets(nlohmann::ordered_json& doc, const std::vector<std::string>& sets,
                std::vector<std::string>& problems, std::vector<std::string>& set_paths);

}  // namespace bnlab
