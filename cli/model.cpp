// bnlab model CONFIG [--set KEY=VALUE]... [--run N] [--format text|csv]: the network of one run of
// a config, expanded (presets included) and planned, without building it: per layer its path
// name, kind, output shape (one sample), parameters and forward FLOPs, and the totals (README,
// "Networks"). Like Keras' model.summary() or torchinfo.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "core/errors.hpp"
#include "data/dataset.hpp"
#include "experiment/sweep.hpp"
#include "model/presets.hpp"

namespace bnlab::cli {

namespace {

struct ModelOptions {
  std::string config;
  std::vector<std::string> sets;
  std::size_t run = 0;
  std::string format = "text";
};

// 1234567 -> "1.23M": FLOPs at a glance.
std::string compact(double v) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

void print_text(const std::vector<LayerRow>& rows, const PlannedRun& run) {
  std::size_t path_w = 5, kind_w = 4, shape_w = 6;
  for (const auto& r : rows) {
    path_w = std::max(path_w, r.path.size());
    kind_w = std::max(kind_w, r.kind.size());
    shape_w = std::max(shape_w, shape_text(r.shape).size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d,
                  const std::string& e) {
    std::printf("%-*s  %-*s  %-*s  %12s  %10s\n", static_cast<int>(path_w), a.c_str(), static_cast<int>(kind_w),
                b.c_str(), static_cast<int>(shape_w), c.c_str(), d.c_str(), e.c_str());
  };
  std::printf("model.arch %s, run %zu of the plan (%s)\n", run.config.model.arch.c_str(), run.index, run.run_id.c_str());
  line("layer", "kind", "output", "params", "FLOPs");
  std::int64_t params = 0;
  double flops = 0;
  for (const auto& r : rows) {
    line(r.path, r.kind, shape_text(r.shape), std::to_string(r.params), compact(r.flops));
    params += r.params;
    flops += r.flops;
  }
  line("total", "", "", std::to_string(params), compact(flops));
  std::printf("FLOPs: forward, one sample (conv and linear: 2 x multiply-adds; pooling: one per window value; "
              "other layers: one per output value)\n");
}

void print_csv(const std::vector<LayerRow>& rows) {
  std::cout << "path,kind,output,params,flops\n";
  std::int64_t params = 0;
  double flops = 0;
  for (const auto& r : rows) {
    std::cout << r.path << ',' << r.kind << ',' << shape_text(r.shape) << ',' << r.params << ','
              << static_cast<long long>(r.flops) << '\n';
    params += r.params;
    flops += r.flops;
  }
  std::cout << "total,,," << params << ',' << static_cast<long long>(flops) << '\n';
}

int summarize(const ModelOptions& o) {
  const auto plan = expand(load_experiment(o.config, o.sets));
  if (o.run >= plan.size())
    throw ConfigError("--run: " + std::to_string(o.run) + " is not a run of the plan (it has " +
                      std::to_string(plan.size()) + ", numbered from 0)");
  const PlannedRun& run = plan[o.run];
  const DataShape data = expected_data_shape(run.config.data);
  const auto rows = model_rows(run.config.model, run.config.norm, {data.channels, data.height, data.width},
                               data.num_classes);
  if (o.format == "csv") print_csv(rows);
  else print_text(rows, run);
  return kOk;
}

}  // namespace

void setup_model(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ModelOptions>();
  auto* cmd = app.add_subcommand(
      "model", "Print a config's network: per layer path name, kind, output shape, parameters and FLOPs, and totals");
  cmd->add_option("config", o->config, "Experiment config (JSON)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", o->sets, "Override a config key: KEY=VALUE, repeatable");
  cmd->add_option("--run", o->run, "Which run of the plan (0-based, as `bnlab plan` numbers them; default 0)");
  cmd->add_option("--format", o->format, "text (a table) or csv")->check(CLI::IsMember({"text", "csv"}));
  cmd->callback([o, &exit_code] {
    setup_logging(0);
    exit_code = guarded([&] { return summarize(*o); });
  });
}

}  // namespace bnlab::cli
