#include "util/csv.hpp"

#include <charconv>
#include <cmath>

namespace bnlab {

std::string csv_escape(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string csv_number(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";
  char buf[400];
  // Shortest round-trip representation in fixed (plain decimal) notation.
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string csv_measurement(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return csv_number(value);
}

std::string csv_text(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number()) return csv_number(value.get<double>());
  return value.dump();
}

std::string csv_cell(const nlohmann::json& value) { return csv_escape(csv_text(value)); }

std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    out += cells[i];
  }
  return out + '\n';
}

int CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

CsvTable parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        row.push_back(std::move(cell));
        lines.push_back(std::move(row));
      }
      row.clear();
      cell.clear();
      any = false;
    } else {
      cell += c;
      any = true;
    }
  }
  if (any || !cell.empty()) {
    row.push_back(std::move(cell));
    lines.push_back(std::move(row));
  }
  CsvTable table;
  if (lines.empty()) return table;
  table.header = std::move(lines.front());
  table.rows.assign(std::make_move_iterator(lines.begin() + 1), std::make_move_iterator(lines.end()));
  return table;
}

std::string csv_damage(const std::string& text, std::size_t* rows) {
  if (text.empty()) return "it is empty";
  if (text.back() != '\n') return "the last line has no end (truncated)";
  std::size_t line = 1, record_line = 1, cells = 1, header_cells = 0, records = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      ++cells;
    } else if (c == '\n') {
      if (records == 0) header_cells = cells;
      else if (cells != header_cells)
        return "line " + std::to_string(record_line) + " has " + std::to_string(cells) + " cells, the header " +
               std::to_string(header_cells);
      ++records;
      cells = 1;
      record_line = line;
    }
  }
  if (quoted) return "unterminated quote from line " + std::to_string(record_line);
  if (rows) *rows = records - 1;
  return "";
}

}  // namespace bnlab
