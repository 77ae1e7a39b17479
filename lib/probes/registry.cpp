#include "probes/registry.hpp"

#include <functional>

#include "core/errors.hpp"
#include "probes/activation_percentiles.hpp"
#include "probes/batch_stats.hpp"
#include "probes/scale_invariance.hpp"
#include "probes/ics.hpp"
#include "probes/landscape.hpp"
#include "probes/inference_cost.hpp"
#include "probes/train_mode_accuracy.hpp"
#include "probes/unit_ablation.hpp"
#include "probes/unit_tools.hpp"

namespace bnlab {

namespace {

using nlohmann::json;

ProbeNetwork network_of(const ProbeSetup& s) {
  return {s.norm, {s.train.channels, s.train.height, s.train.width}, s.train.num_classes};
}
HiddenPlan hidden_plan(const ModelConfig& model, const ProbeNetwork& n) {
  return plan_hidden_layers(model, n.norm, n.input, n.classes);
}
HiddenPlan hidden_plan(const ProbeSetup& s) { return hidden_plan(s.model, network_of(s)); }

// One entry per probe. `read` parses and checks the settings (problems into the reader); `make`
// builds the probe from a reader that has no problems.
struct ProbeKind {
  const char* name;
  const char* summary;
  std::vector<std::string> columns;
  std::vector<ProbeResultColumn> results;  // its runs.csv columns (probe.hpp)
  std::function<void(SettingsReader&, const ModelConfig&, const TrainConfig&, const ProbeNetwork&)> read;
  std::function<std::unique_ptr<Probe>(SettingsReader&, const ProbeSetup&)> make;
};

const std::vector<ProbeKind>& kinds() {
  static const std::vector<ProbeKind> table = {
      {ActivationPercentiles::kName, ActivationPercentiles::kSummary, ActivationPercentiles::columns(), {},
       [](SettingsReader& r, const ModelConfig& m, const TrainConfig&, const ProbeNetwork& n) {
         ActivationPercentiles::read(r, hidden_plan(m, n));
       },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<ActivationPercentiles>(s.net, ActivationPercentiles::read(r, hidden_plan(s)));
       }},
      {TrainModeAccuracy::kName, TrainModeAccuracy::kSummary, TrainModeAccuracy::columns(), {},
       [](SettingsReader& r, const ModelConfig&, const TrainConfig& t, const ProbeNetwork&) { TrainModeAccuracy::read(r, t); },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<TrainModeAccuracy>(s.net, s.train, s.test, TrainModeAccuracy::read(r, s.train_config));
       }},
      {BatchStats::kName, BatchStats::kSummary, BatchStats::columns(), {},
       [](SettingsReader& r, const ModelConfig&, const TrainConfig& t, const ProbeNetwork&) { BatchStats::read(r, t); },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<BatchStats>(s.net, s.train, BatchStats::read(r, s.train_config));
       }},
      {UnitAblation::kName, UnitAblation::kSummary, UnitAblation::columns(), UnitAblation::result_columns(),
       [](SettingsReader& r, const ModelConfig& m, const TrainConfig&, const ProbeNetwork& n) {
         UnitAblation::read(r, hidden_plan(m, n));
       },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<UnitAblation>(s.net, s.train, s.test, s.train_config, UnitAblation::read(r, hidden_plan(s)));
       }},
      {ScaleInvariance::kName, ScaleInvariance::kSummary, ScaleInvariance::columns(), ScaleInvariance::result_columns(),
       [](SettingsReader& r, const ModelConfig& m, const TrainConfig& t, const ProbeNetwork& n) {
         ScaleInvariance::read(r, hidden_plan(m, n), t);
       },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<ScaleInvariance>(s.net, s.train, s.test, s.train_config,
                                                  ScaleInvariance::read(r, hidden_plan(s), s.train_config));
       }},
      {Ics::kName, Ics::kSummary, Ics::columns(), Ics::result_columns(),
       [](SettingsReader& r, const ModelConfig& m, const TrainConfig&, const ProbeNetwork& n) {
         Ics::read(r, hidden_plan(m, n));
       },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<Ics>(s.net, Ics::read(r, hidden_plan(s)));
       }},
      {Landscape::kName, Landscape::kSummary, Landscape::columns(), Landscape::result_columns(),
       [](SettingsReader& r, const ModelConfig&, const TrainConfig&, const ProbeNetwork&) { Landscape::read(r); },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<Landscape>(s.net, Landscape::read(r));
       }},
      {InferenceCost::kName, InferenceCost::kSummary, InferenceCost::columns(), InferenceCost::result_columns(),
       [](SettingsReader& r, const ModelConfig&, const TrainConfig& t, const ProbeNetwork&) { InferenceCost::read(r, t); },
       [](SettingsReader& r, const ProbeSetup& s) -> std::unique_ptr<Probe> {
         return std::make_unique<InferenceCost>(s.net, s.train, s.test, s.model, s.train_config,
                                                InferenceCost::read(r, s.train_config));
       }},
  };
  return table;
}

const ProbeKind* find_kind(const std::string& name) {
  for (const auto& k : kinds())
    if (name == k.name) return &k;
  return nullptr;
}

std::string names_list() {
  std::string out;
  for (const auto& k : kinds()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

}  // namespace

std::vector<std::string> probe_names() {
  std::vector<std::string> out;
  for (const auto& k : kinds()) out.emplace_back(k.name);
  return out;
}

std::vector<ProbeResultColumn> probe_result_columns() {
  std::vector<ProbeResultColumn> out;
  for (const auto& k : kinds()) out.insert(out.end(), k.results.begin(), k.results.end());
  return out;
}

std::vector<std::string> check_probes(const json& probes, const ModelConfig& model, const TrainConfig& train,
                                      const ProbeNetwork& network) {
  if (probes.is_null()) return {};
  if (!probes.is_object()) return {"probes: expected an object (probe name -> settings), got " + probes.dump()};
  std::vector<std::string> problems;
  for (const auto& [name, settings] : probes.items()) {
    const ProbeKind* kind = find_kind(name);
    if (!kind) {
      problems.push_back("probes." + name + ": unknown probe (valid: " + names_list() + ")");
      continue;
    }
    SettingsReader reader(settings, "probes." + name);
    kind->read(reader, model, train, network);
    const auto found = reader.problems();
    problems.insert(problems.end(), found.begin(), found.end());
  }
  return problems;
}

std::vector<std::unique_ptr<Probe>> make_probes(const json& probes, const ProbeSetup& setup) {
  if (auto problems = check_probes(probes, setup.model, setup.train_config, network_of(setup)); !problems.empty())
    throw ConfigError(std::move(problems));
  std::vector<std::unique_ptr<Probe>> out;
  if (probes.is_null()) return out;
  for (const auto& [name, settings] : probes.items()) {
    SettingsReader reader(settings, "probes." + name);
    out.push_back(find_kind(name)->make(reader, setup));
  }
  return out;
}

std::string probe_reference_markdown() {
  std::string out;
  for (const auto& kind : kinds()) {
    SettingsReader reader(json::object(), std::string("probes.") + kind.name);
    kind.read(reader, ModelConfig{}, TrainConfig{}, ProbeNetwork{});
    out += "- `" + std::string(kind.name) + "`: " + kind.summary + ". Writes `runs/<run_id>/" + kind.name + ".csv` (";
    for (std::size_t i = 0; i < kind.columns.size(); ++i) out += (i ? ", " : "") + ("`" + kind.columns[i] + "`");
    out += ").";
    if (!kind.results.empty()) {
      out += " Adds to `runs.csv`:";
      for (std::size_t i = 0; i < kind.results.size(); ++i)
        out += (i ? "; `" : " `") + kind.results[i].name + "`, " + kind.results[i].description;
      out += ".";
    }
    out += "\n";
    for (const auto& doc : reader.docs())
      out += "  - `" + doc.key + "` (default `" + doc.default_value + "`): " + doc.description + "\n";
  }
  return out;
}

}  // namespace bnlab
