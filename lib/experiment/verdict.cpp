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
  for (const auto& [key, value] : claim.where) out += (out.empty() ? "" : ", ") + key + "=" + csv_text(value);
  return out;
}

std::string md_number(double value) { return std::isfinite(value) ? fmt::format("{:.4g}", value) : ""; }

// The claim's `where` as runs.csv cells (their text as read back, unescaped: an object-valued key's
// cell is its JSON, which holds quotes).
std::vector<std::pair<std::string, std::string>> where_cells(const Claim& claim) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : claim.where) out.emplace_back(key, csv_text(value));
  return out;
}

// The verdict table's "expected" cell: "> 0.01", "< -0.01", "within ±0.01"; for a relative claim the
// ratio's bounds, "> 1.05", "< 0.9524", "within [0.9524, 1.05]" (claims.hpp).
std::string expected_text(const Claim& c) {
  if (!c.relative) {
    const char* sign = c.expect == Expectation::Greater ? "> " : c.expect == Expectation::Less ? "< -" : "within ±";
    return sign + md_number(c.margin);
  }
  const std::string above = md_number(1 + c.margin), below = md_number(1 / (1 + c.margin));
  if (c.expect == Expectation::Greater) return "> " + above;
  if (c.expect == Expectation::Less) return "< " + below;
  return "within [" + below + ", " + above + "]";
}

}  // namespace

std::vector<ClaimResult> judge_claims(const CsvTable& runs, const std::vector<Claim>& claims) {
  // A claim on a value selected on the test set is refused, not judged (test_selection.hpp).
  std::vector<std::string> refused;
  for (const auto& claim : claims)
    if (auto problem = test_selection_problem(runs_where(runs, where_cells(claim)), claim.metric, claim.key,
                                              {csv_text(claim.a), csv_text(claim.b)}))
      refused.push_back("claim '" + claim.id + "': " + *problem);
  if (!refused.empty()) throw ConfigError(std::move(refused));
  std::vector<ClaimResult> results;
  for (const auto& claim : claims) {
    ClaimResult r{claim, {}, 0, 0, 0, 0, Verdict::Inconclusive, ""};
    try {
      const Comparison comparison{claim.metric, claim.key,      csv_text(claim.a), csv_text(claim.b),
                                  std::vector<std::string>{}, claim.diverged_as, claim.relative, where_cells(claim)};
      const auto table = compare_runs(runs, comparison);
      r.result = table.rows.at(0).result;
      r.excluded = table.rows.at(0).excluded;
      r.verdict = judge(claim.expect, judged_margin(claim), r.result.difference.ci_low, r.result.difference.ci_high);
      if (r.result.difference.n < 2) r.note = fmt::format("{} pairs: no interval", r.result.difference.n);
    } catch (const ConfigError& e) {
      r.result.difference = stats::describe({});
      r.result.p = std::nan("");
      r.note = e.problems().front();
      if (e.problems().size() > 1) r.note += fmt::format(" (and {} more)", e.problems().size() - 1);
    }
    const auto& d = r.result.difference;
    const auto shown = [&](double x) { return claim.relative ? std::exp(x) : x; };
    r.estimate = shown(d.mean);
    r.ci_low = shown(d.ci_low);
    r.ci_high = shown(d.ci_high);
    results.push_back(std::move(r));
  }
  return results;
}

std::string verdict_csv(const std::vector<ClaimResult>& results) {
  std::string out = csv_line({"id", "claim", "metric", "a", "b", "where", "expect", "margin", "estimate_of", "n",
                              "estimate", "ci95_low", "ci95_high", "p", "n_excluded", "verdict", "note"});
  for (const auto& r : results) {
    const auto& c = r.claim;
    out += csv_line({csv_escape(c.id), csv_escape(c.text), csv_escape(c.metric),
                     csv_escape(c.key + "=" + csv_text(c.a)), csv_escape(c.key + "=" + csv_text(c.b)),
                     csv_escape(where_text(c)), to_string(c.expect), csv_number(c.margin),
                     c.relative ? "A / B" : "A - B", std::to_string(r.result.difference.n), csv_number(r.estimate),
                     csv_number(r.ci_low), csv_number(r.ci_high), csv_number(r.result.p), std::to_string(r.excluded),
                     to_string(r.verdict), csv_escape(r.note)});
  }
  return out;
}

std::string verdict_markdown(const std::vector<ClaimResult>& results) {
  std::string out =
      "| claim | metric: A - B (or A / B) | where | expected | n | estimate | 95% CI | p | verdict |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : results) {
    const auto& c = r.claim;
    const auto& d = r.result.difference;
    const std::string ci = d.n >= 2 ? fmt::format("[{}, {}]", md_number(r.ci_low), md_number(r.ci_high)) : "";
    std::string verdict = std::string("**") + to_string(r.verdict) + "**";
    if (!r.note.empty()) verdict += " (" + r.note + ")";
    if (r.excluded > 0) verdict += fmt::format(" ({} pairs left out)", r.excluded);
    out += fmt::format("| {}: {} | {}: {} {} {} | {} | {} | {} | {} | {} | {} | {} |\n", c.id, c.text, c.metric,
                       csv_text(c.a), c.relative ? "/" : "-", csv_text(c.b), where_text(c), expected_text(c), d.n,
                       md_number(r.estimate), ci, md_number(r.result.p), verdict);
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
