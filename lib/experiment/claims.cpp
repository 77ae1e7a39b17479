#include "experiment/claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "experiment/collect.hpp"
#include "experiment/schema.hpp"
#include "experiment/sweep.hpp"
#include "experiment/test_selection.hpp"

namespace bnlab {

using nlohmann::json;

namespace {

const std::vector<std::string> kClaimKeys = {"id",     "claim",  "metric",   "compare",    "where",
                                             "expect", "margin", "relative", "diverged_as"};

bool same_json_value(const json& x, const json& y) {
  if (x.is_number() && y.is_number()) return x.get<double>() == y.get<double>();
  return x == y;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string values_text(const SweepAxis& axis) {
  std::vector<std::string> values;
  for (const auto& v : axis.values) values.push_back(v.dump());
  return join(values);
}

// The axis of a swept key, or a problem.
const SweepAxis* swept_axis(const std::string& key, const std::vector<SweepAxis>& axes, const std::string& path,
                            std::vector<std::string>& problems) {
  for (const auto& axis : axes)
    if (axis.key == key) return &axis;
  std::vector<std::string> swept;
  for (const auto& axis : axes) swept.push_back(axis.key);
  problems.push_back(fmt::format("{}: '{}' is not swept; a claim compares runs that differ in a swept key ({})",
                                 path, key, swept.empty() ? "this experiment sweeps nothing" : join(swept)));
  return nullptr;
}

// The swept value equal to `value`, in its canonical form, or a problem.
std::optional<json> swept_value(const SweepAxis& axis, const json& value, const std::string& path,
                                std::vector<std::string>& problems) {
  for (const auto& v : axis.values)
    if (same_json_value(v, value)) return v;
  problems.push_back(fmt::format("{}: {} is not among the swept values of {} ({})", path, value.dump(), axis.key,
                                 values_text(axis)));
  return std::nullopt;
}

std::optional<Claim> parse_claim(const json& item, const std::string& path, const std::vector<SweepAxis>& axes,
                                 std::vector<std::string>& problems) {
  if (!item.is_object()) {
    problems.push_back(path + ": expected an object with id, claim, metric, compare, expect, margin; got " +
                       describe(item));
    return std::nullopt;
  }
  const std::size_t before = problems.size();
  for (const auto& [key, value] : item.items())
    if (std::find(kClaimKeys.begin(), kClaimKeys.end(), key) == kClaimKeys.end())
      problems.push_back(fmt::format("{}.{}: unknown key; a claim has {}", path, key, join(kClaimKeys)));
  auto text = [&](const char* key) -> std::string {
    const auto it = item.find(key);
    if (it == item.end() || !it->is_string() || it->get<std::string>().empty()) {
      problems.push_back(fmt::format("{}.{}: missing; expected a non-empty string", path, key));
      return "";
    }
    return it->get<std::string>();
  };
  Claim claim;
  claim.id = text("id");
  if (!claim.id.empty() && !std::all_of(claim.id.begin(), claim.id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
      }))
    problems.push_back(fmt::format("{}.id: '{}' may hold only letters, digits, '_', '-' and '.'", path, claim.id));
  claim.text = text("claim");
  claim.metric = text("metric");
  const auto& metrics = claim_metrics();
  if (const auto selection = test_selection_metric_problem(claim.metric))
    problems.push_back(fmt::format("{}.metric: {}", path, *selection));
  else if (!claim.metric.empty() && std::find(metrics.begin(), metrics.end(), claim.metric) == metrics.end())
    problems.push_back(fmt::format("{}.metric: '{}' is not a runs.csv result; one of {}", path, claim.metric,
                                   join(metrics)));

  const auto compare = item.find("compare");
  if (compare == item.end() || !compare->is_object() || compare->size() != 1 ||
      !compare->begin()->is_array() || compare->begin()->size() != 2) {
    problems.push_back(path + ".compare: expected {\"KEY\": [A, B]}: one swept key and two of its values");
  } else if (const SweepAxis* axis = swept_axis(compare->begin().key(), axes, path + ".compare", problems)) {
    claim.key = axis->key;
    const auto a = swept_value(*axis, (*compare->begin())[0], path + ".compare." + claim.key + "[0]", problems);
    const auto b = swept_value(*axis, (*compare->begin())[1], path + ".compare." + claim.key + "[1]", problems);
    if (a && b && same_json_value(*a, *b))
      problems.push_back(path + ".compare: A and B are the same value");
    claim.a = a.value_or(json());
    claim.b = b.value_or(json());
  }

  if (const auto where = item.find("where"); where != item.end()) {
    if (!where->is_object()) {
      problems.push_back(path + ".where: expected an object of swept keys and values");
    } else {
      for (const auto& [key, value] : where->items()) {
        const std::string at = path + ".where." + key;
        if (key == claim.key) {
          problems.push_back(at + ": the compared key cannot also be fixed");
        } else if (const SweepAxis* axis = swept_axis(key, axes, at, problems)) {
          if (auto v = swept_value(*axis, value, at, problems)) claim.where.emplace_back(key, *v);
        }
      }
    }
  }

  const std::string expect = text("expect");
  if (expect == "greater") claim.expect = Expectation::Greater;
  else if (expect == "less") claim.expect = Expectation::Less;
  else if (expect == "similar") claim.expect = Expectation::Similar;
  else if (!expect.empty())
    problems.push_back(fmt::format("{}.expect: '{}' is not one of greater, less, similar (the sign of A - B)", path,
                                   expect));

  const auto margin = item.find("margin");
  if (margin == item.end() || !margin->is_number() || !std::isfinite(margin->get<double>()) ||
      margin->get<double>() < 0)
    problems.push_back(path + ".margin: expected a number >= 0 (the smallest difference that matters, in the "
                              "metric's units)");
  else
    claim.margin = margin->get<double>();
  if (const auto relative = item.find("relative"); relative != item.end()) {
    if (!relative->is_boolean())
      problems.push_back(path + ".relative: expected true (judge the ratio A / B) or false, got " + describe(*relative));
    else
      claim.relative = relative->get<bool>();
  }
  if (const auto d = item.find("diverged_as"); d != item.end()) {
    if (!d->is_number() || !std::isfinite(d->get<double>()))
      problems.push_back(path + ".diverged_as: expected a finite number");
    else if (claim.relative && d->get<double>() <= 0)
      problems.push_back(path + ".diverged_as: a relative claim takes ratios of values > 0, got " + d->dump());
    else
      claim.diverged_as = d->get<double>();
  }
  if (problems.size() != before) return std::nullopt;
  return claim;
}

}  // namespace

const char* to_string(Expectation expectation) {
  switch (expectation) {
    case Expectation::Greater: return "greater";
    case Expectation::Less: return "less";
    case Expectation::Similar: return "similar";
  }
  return "";
}

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Supported: return "supported";
    case Verdict::Contradicted: return "contradicted";
    case Verdict::Inconclusive: return "inconclusive";
  }
  return "";
}

const std::vector<std::string>& claim_metrics() {
  // runs.csv's results less those selected on the test set (best_test_acc; test_selection.hpp).
  static const std::vector<std::string> metrics = [] {
    std::vector<std::string> out;
    for (const auto& c : runs_result_columns())
      if (!test_selection_metric_problem(c)) out.push_back(c);
    return out;
  }();
  return metrics;
}

std::vector<Claim> parse_claims(const json& claims, const std::vector<SweepAxis>& axes,
                                std::vector<std::string>& problems) {
  std::vector<Claim> out;
  if (!claims.is_array()) {
    problems.push_back("claims: expected a list of claims, got " + describe(claims));
    return out;
  }
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const std::string path = fmt::format("claims[{}]", i);
    if (auto claim = parse_claim(claims[i], path, axes, problems)) {
      if (std::any_of(out.begin(), out.end(), [&](const Claim& c) { return c.id == claim->id; }))
        problems.push_back(fmt::format("{}.id: '{}' is used by an earlier claim", path, claim->id));
      out.push_back(std::move(*claim));
    }
  }
  return out;
}

json claims_to_json(const std::vector<Claim>& claims) {
  json out = json::array();
  for (const auto& c : claims) {
    json item = {{"id", c.id}, {"claim", c.text}, {"metric", c.metric}, {"compare", {{c.key, {c.a, c.b}}}}};
    if (!c.where.empty()) {
      json where = json::object();
      for (const auto& [key, value] : c.where) where[key] = value;
      item["where"] = where;
    }
    item["expect"] = to_string(c.expect);
    item["margin"] = c.margin;
    if (c.relative) item["relative"] = true;
    if (c.diverged_as) item["diverged_as"] = *c.diverged_as;
    out.push_back(std::move(item));
  }
  return out;
}

double judged_margin(const Claim& claim) { return claim.relative ? std::log1p(claim.margin) : claim.margin; }

Verdict judge(Expectation expect, double margin, double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return Verdict::Inconclusive;
  const bool above = lo > margin, below = hi < -margin, inside = lo >= -margin && hi <= margin;
  switch (expect) {
    case Expectation::Greater:
      return above ? Verdict::Supported : (below || inside) ? Verdict::Contradicted : Verdict::Inconclusive;
    case Expectation::Less:
      return below ? Verdict::Supported : (above || inside) ? Verdict::Contradicted : Verdict::Inconclusive;
    case Expectation::Similar:
      return inside ? Verdict::Supported : (above || below) ? Verdict::Contradicted : Verdict::Inconclusive;
  }
  return Verdict::Inconclusive;
}

}  // namespace bnlab
