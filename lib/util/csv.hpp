// The CSV dialect of every file bnlab writes (DESIGN.md, "Results"): one header line, comma
// separated, no comments; a string is quoted (RFC 4180) only when it contains a comma, quote,
// CR or LF; numbers are plain decimal (never exponent notation), the shortest text that reads
// back to the same double; a missing value (unset, NaN, infinite) is an empty cell.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bnlab {

std::string csv_escape(const std::string& text);
std::string csv_number(double value);                    // "" for NaN / inf: no value
// A measured number (metrics.csv's losses and accuracies): non-finite as nan, inf, -inf, which
// pandas and Python's float() read back, so a loss that overflowed is told apart from no value.
std::string csv_measurement(double value);
std::string csv_cell(const nlohmann::json& value);       // null -> "", string escaped, array as JSON text
// The same cell's text before escaping: what a CsvTable read back holds (to match cells by value).
std::string csv_text(const nlohmann::json& value);
std::string csv_line(const std::vector<std::string>& cells);  // cells already escaped; adds '\n'

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // unescaped cell text
  // Index of a column, or -1.
  int column(const std::string& name) const;
};

// Parses text written in this dialect (quoted cells may hold commas, quotes and newlines).
CsvTable parse_csv(const std::string& text);

// What is wrong with a file that should be in this dialect, as one phrase ("line 7 has 5 cells,
// the header 9", "unterminated quote from line 7", "the last line has no end (truncated)"), or ""
// when it is whole. `rows` gets the number of data rows (header excluded) when it is.
std::string csv_damage(const std::string& text, std::size_t* rows = nullptr);

}  // namespace bnlab
