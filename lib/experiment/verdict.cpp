#include "experiment/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "experiment/files.hpp"
#include "experiment/seed_statistics.hpp"
#include "experiment/sweep.hpp"
#include "experiment/test_selection.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string where_text(const Claim& claim) {
  std::string out;
  for (const auto& [key, value] : claim.where) out += (out.empty() ? "" : ", ") + key + "=" + csv_cell(value);
  return out;
}

std::string md_number(double value) { return std::isfinite(value) ? fmt::format("{:.4g}", value) : ""; }

// The rows whose `where` keys hold the claim's values; a key missing from runs.csv keeps no row.
CsvTable restricted(const CsvTable& runs, const Claim& claim) {
  CsvTable out{runs.header, {}};
  std::vector<std::pair<int, std::string>> wanted;
  for (const auto& [key, value] : claim.where) wanted.emplace_back(runs.column(key), csv_cell(value));
  for (const auto& row : runs.rows) {
    bool keep = true;
    for (const auto& [column, text] : wanted) {
      if (column < 0 || column >= static_cast<int>(row.size())) keep = false;
      else if (row[column] != text) {
        char* end = nullptr;
        const double x = std::strtod(row[column].c_str(), &end);
        const bool x_ok = !row[column].empty() && *end == '\0';
        const double y = std::strtod(text.c_str(), &end);
        keep = x_ok && !text.empty() && *end == '\0' && x == y;
      }
      if (!keep) break;
    }
    if (keep) out.rows.push_back(row);
  }
  return out;
}

}  // namespace

std::vector<ClaimResult> judge_claims(const CsvTable& runs, const std::vector<Claim>& claims) {
  // A claim on a value selected on the test set is refused, not judged (test_selection.hpp).
  std::vector<std::string> refused;
  for (const auto& claim : claims)
    if (auto problem = test_selection_problem(restricted(runs, claim), claim.metric, claim.key,
                                              {csv_cell(claim.a), csv_cell(claim.b)}))
      refused.push_back("claim '" + claim.id + "': " + *problem);
  if (!refused.empty()) throw ConfigError(std::move(refused));
  std::vector<ClaimResult> results;
  for (const auto& claim : claims) {
    ClaimResult r{claim, {}, 0, Verdict::Inconclusive, ""};
    try {
      const Comparison comparison{claim.metric, claim.key, csv_cell(claim.a), csv_cell(claim.b),
                                  std::vector<std::string>{}, claim.diverged_as};
      const auto table = compare_runs(restricted(runs, claim), comparison);
      r.result = table.rows.at(0).result;
      r.excluded = table.rows.at(0).excluded;
      r.verdict = judge(claim.expect, claim.margin, r.result.difference.ci_low, r.result.difference.ci_high);
      if (r.result.difference.n < 2) r.note = fmt::format("{} pairs: no interval", r.result.difference.n);
    } catch (const ConfigError& e) {
      r.result.difference = stats::describe({});
      r.result.p = std::nan("");
      r.note = e.problems().front();
      if (e.problems().size() > 1) r.note += fmt::format(" (and {} more)", e.problems().size() - 1);
    }
    results.push_back(std::move(r));
  }
  return results;
}

std::string verdict_csv(const std::vector<ClaimResult>& results) {
  std::string out = csv_line({"id", "claim", "metric", "a", "b", "where", "expect", "margin", "n", "estimate",
                              "ci95_low", "ci95_high", "p", "n_excluded", "verdict", "note"});
  for (const auto& r : results) {
    const auto& c = r.claim;
    const auto& d = r.result.difference;
    out += csv_line({csv_escape(c.id), csv_escape(c.text), csv_escape(c.metric),
                     csv_escape(c.key + "=" + csv_cell(c.a)), csv_escape(c.key + "=" + csv_cell(c.b)),
                     csv_escape(where_text(c)), to_string(c.expect), csv_number(c.margin), std::to_string(d.n),
                     csv_number(d.mean), csv_number(d.ci_low), csv_number(d.ci_high), csv_number(r.result.p),
                     std::to_string(r.excluded), to_string(r.verdict), csv_escape(r.note)});
  }
  return out;
}

std::string verdict_markdown(const std::vector<ClaimResult>& results) {
  std::string out =
      "| claim | metric: A - B | where | expected | n | estimate | 95% CI | p | verdict |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : results) {
    const auto& c = r.claim;
    const auto& d = r.result.difference;
    const char* sign = c.expect == Expectation::Greater ? "> " : c.expect == Expectation::Less ? "< -" : "within ±";
    const std::string ci = d.n >= 2 ? fmt::format("[{}, {}]", md_number(d.ci_low), md_number(d.ci_high)) : "";
    std::string verdict = std::string("**") + to_string(r.verdict) + "**";
    if (!r.note.empty()) verdict += " (" + r.note + ")";
    if (r.excluded > 0) verdict += fmt::format(" ({} pairs left out)", r.excluded);
    out += fmt::format("| {}: {} | {}: {} - {} | {} | {}{} | {} | {} | {} | {} | {} |\n", c.id, c.text, c.metric,
                       csv_cell(c.a), csv_cell(c.b), where_text(c), sign, md_number(c.margin), d.n,
                       md_number(d.mean), ci, md_number(r.result.p), verdict);
  }
  return out;
}

std::vector<Claim> stored_claims(const fs::path& experiment_dir) {
  const fs::path path = experiment_dir / "claims.json";
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw ConfigError(path.string() +
                      ": no such file (the experiment states no claims; give its config with --config)");
  json stored;
  try {
    stored = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw ConfigError(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  // The claims were checked against the sweep when stored; here each key's axis is the values the
  // claims name.
  std::vector<SweepAxis> axes;
  auto add = [&](const std::string& key, const json& value) {
    auto it = std::find_if(axes.begin(), axes.end(), [&](const SweepAxis& a) { return a.key == key; });
    if (it == axes.end()) it = axes.insert(axes.end(), SweepAxis{key, {}});
    it->values.push_back(value);
  };
  if (stored.is_array())
    for (const auto& item : stored)
      if (item.is_object()) {
        if (const auto c = item.find("compare"); c != item.end() && c->is_object())
          for (const auto& [key, values] : c->items())
            if (values.is_array())
              for (const auto& v : values) add(key, v);
        if (const auto w = item.find("where"); w != item.end() && w->is_object())
          for (const auto& [key, value] : w->items()) add(key, value);
      }
  std::vector<std::string> problems;
  auto claims = parse_claims(stored, axes, problems);
  for (auto& p : problems) p = path.string() + ": " + p;
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return claims;
}

void store_claims(const fs::path& experiment_dir, const std::vector<Claim>& claims) {
  write_file_atomic(experiment_dir / "claims.json", claims_to_json(claims).dump(2) + "\n");
}

std::vector<ClaimResult> write_verdict(const fs::path& experiment_dir, const std::vector<Claim>& claims) {
  const auto results = judge_claims(parse_csv(read_file(experiment_dir / "runs.csv")), claims);
  write_file_atomic(experiment_dir / "verdict.csv", verdict_csv(results));
  write_file_atomic(experiment_dir / "verdict.md", verdict_markdown(results));
  return results;
}

}  // namespace bnlab
