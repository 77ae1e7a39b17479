#include "experiment/shard.hpp"

#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include "core/errors.hpp"

namespace bnlab {

namespace {

// A whole decimal number, or nullopt ("12", not "12x", " 12" or "").
std::optional<long> parse_long(const std::string& text) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-')) return std::nullopt;
  try {
    std::size_t used = 0;
    const long value = std::stol(text, &used);
    if (used != text.size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto k = slash == std::string::npos ? std::nullopt : parse_long(text.substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : parse_long(text.substr(slash + 1));
  if (!k || !n || *n < 1 || *k < 0 || *k >= *n)
    throw ConfigError("--shard: expected K/N with 0 <= K < N (0-based), got '" + text + "'");
  return {static_cast<std::size_t>(*k), static_cast<std::size_t>(*n)};
}

std::optional<Shard> shard_from_slurm_env(const EnvLookup& env) {
  const char* id_text = env("SLURM_ARRAY_TASK_ID");
  const char* count_text = env("SLURM_ARRAY_TASK_COUNT");
  if (!id_text && !count_text) return std::nullopt;
  // One without the other is not an array we can split (an old Slurm, a hand-set variable): running
  // the whole plan in every task would repeat every run, so refuse.
  if (!id_text || !count_text)
    throw ConfigError(std::string(id_text ? "SLURM_ARRAY_TASK_ID" : "SLURM_ARRAY_TASK_COUNT") + "=" +
                      (id_text ? id_text : count_text) + " is set but " +
                      (id_text ? "SLURM_ARRAY_TASK_COUNT" : "SLURM_ARRAY_TASK_ID") +
                      " is not: cannot tell this task's shard; pass --shard K/N (or unset it to run the whole plan)");
  const char* min_text = env("SLURM_ARRAY_TASK_MIN");
  const char* step_text = env("SLURM_ARRAY_TASK_STEP");
  const auto id = parse_long(id_text), count = parse_long(count_text);
  const auto min = min_text ? parse_long(min_text) : std::optional<long>(0);
  const auto step = step_text ? parse_long(step_text) : std::optional<long>(1);
  const bool valid = id && count && min && step && *count >= 1 && *step >= 1 && *id >= *min &&
                     (*id - *min) % *step == 0 && (*id - *min) / *step < *count;
  if (!valid)
    throw ConfigError(std::string("Slurm array task SLURM_ARRAY_TASK_ID=") + id_text +
                      " SLURM_ARRAY_TASK_COUNT=" + count_text + " SLURM_ARRAY_TASK_MIN=" + (min_text ? min_text : "") +
                      ": not a shard; submit the array as --array=0-(N-1) (scripts/slurm_submit.sh does) "
                      "or pass --shard K/N");
  return Shard{static_cast<std::size_t>((*id - *min) / *step), static_cast<std::size_t>(*count)};
}

std::vector<PlannedRun> select_shard(const std::vector<PlannedRun>& plan, const std::optional<Shard>& shard) {
  if (!shard) return plan;
  std::vector<PlannedRun> out;
  for (const auto& run : plan)
    if (run.index % shard->count == shard->index) out.push_back(run);
  return out;
}

}  // namespace bnlab
