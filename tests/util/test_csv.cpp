// The CSV dialect: strings quoted only when needed and surviving a round trip through parse_csv,
// numbers in plain decimal (never exponents), missing values as empty cells.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "util/csv.hpp"

using namespace bnlab;
using nlohmann::json;

TEST_CASE("string values with comma, quote and newline survive a round trip", "[csv]") {
  const std::vector<std::string> values = {"plain", "a,b", "say \"hi\"", "two\nlines", "crlf\r\nend", "\"", ",", "",
                                           " spaced ", "utf-8 \xc3\xa9"};
  std::vector<std::string> header, row;
  for (std::size_t i = 0; i < values.size(); ++i) {
    header.push_back(csv_escape("col " + std::to_string(i) + (i % 2 ? ",x" : "")));
    row.push_back(csv_cell(json(values[i])));
  }
  const std::string text = csv_line(header) + csv_line(row) + csv_line(row);
  const CsvTable table = parse_csv(text);
  REQUIRE(table.header.size() == values.size());
  CHECK(table.header[1] == "col 1,x");
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0] == values);
  CHECK(table.rows[1] == values);
}

TEST_CASE("strings are quoted only when they must be", "[csv]") {
  CHECK(csv_escape("relu") == "relu");
  CHECK(csv_escape("a,b") == "\"a,b\"");
  CHECK(csv_escape("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_escape("x\ny") == "\"x\ny\"");
  CHECK(csv_cell(json::array({50, 50})) == "\"[50,50]\"");  // a list value, as JSON text
}

TEST_CASE("numbers are plain decimal with the shortest round trip, NaN and inf are empty", "[csv]") {
  CHECK(csv_number(1e-5) == "0.00001");
  CHECK(csv_number(1e20) == "100000000000000000000");
  CHECK(csv_number(0.1) == "0.1");
  CHECK(csv_number(-2.5) == "-2.5");
  CHECK(csv_number(0.0) == "0");
  CHECK(csv_number(1.0) == "1");
  CHECK(csv_number(std::nan("")) == "");
  CHECK(csv_number(std::numeric_limits<double>::infinity()) == "");
  CHECK(csv_number(-std::numeric_limits<double>::infinity()) == "");
  // a measured value (metrics.csv) that is non-finite is written as such, not as "no value"
  CHECK(csv_measurement(std::nan("")) == "nan");
  CHECK(csv_measurement(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(csv_measurement(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(csv_measurement(0.25) == "0.25");
  CHECK(std::stod(csv_number(1.0 / 3.0)) == 1.0 / 3.0);
  CHECK(csv_number(1.0 / 3.0).find_first_of("eE") == std::string::npos);
  CHECK(csv_cell(json(3)) == "3");
  CHECK(csv_cell(json(1e-5)) == "0.00001");
  CHECK(csv_cell(json(nullptr)) == "");
  CHECK(csv_cell(json(true)) == "true");
}

TEST_CASE("parse_csv: CRLF line ends, an empty last cell, no trailing newline", "[csv]") {
  const CsvTable t = parse_csv("a,b,c\r\n1,,3\r\n4,5,");
  CHECK(t.header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "", "3"});
  CHECK(t.rows[1] == std::vector<std::string>{"4", "5", ""});
  CHECK(t.column("c") == 2);
  CHECK(t.column("d") == -1);
}

TEST_CASE("csv_damage: a whole file passes, a cut or malformed one is named", "[csv]") {
  std::size_t rows = 99;
  CHECK(csv_damage("a,b\n1,\"x,\"\"y\"\"\nz\"\n,\n", &rows) == "");  // quoted comma, quote, newline
  CHECK(rows == 2);
  CHECK(csv_damage("a,b\n", &rows) == "");
  CHECK(rows == 0);
  CHECK(csv_damage("") == "it is empty");
  CHECK(csv_damage("a,b\n1,2\n3") == "the last line has no end (truncated)");
  CHECK(csv_damage("a,b\n1,2\n3\n") == "line 3 has 1 cells, the header 2");
  CHECK(csv_damage("a,b\n1,2,3\n") == "line 2 has 3 cells, the header 2");
  CHECK(csv_damage("a,b\n\"1\n2,3\n") == "unterminated quote from line 2");
}
