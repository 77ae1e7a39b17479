// Whether a run folder holds a finished run whose files can be trusted (docs/cli.md, "Resume"). Used by
// the runner (what to skip, what to run again) and by collect (what to import).
//
// A run is finished when its status.json is a JSON object whose `status` is ok, diverged or failed.
// It is damaged — and then treated as unfinished: run again, never imported — when status.json is
// there but malformed, or a CSV file of the run is not whole: a row with the wrong number of
// cells, an unterminated quote, a last line without its end, fewer bytes or rows than status.json
// records under `files` ({"metrics.csv": {"bytes": B, "rows": R}, ...}), or an ok/diverged run
// without metrics.csv.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bnlab {

enum class RunState { unfinished, finished, damaged };

struct RunCheck {
  RunState state = RunState::unfinished;
  nlohmann::json status;              // status.json's content when finished
  std::vector<std::string> problems;  // when damaged, one per file: "runs/<id>/metrics.csv: ..."
};

RunCheck check_run(const std::filesystem::path& run_dir);

// The `files` entry status.json records for a CSV text the run wrote.
nlohmann::json csv_file_record(const std::string& text);

}  // namespace bnlab
