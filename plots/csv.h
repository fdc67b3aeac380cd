// CSV reading and writing (RFC 4180 quoting) for published values, reference files and the
// report's tables; torch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cmh::plots {

/// A parsed CSV file: the header and the rows as header-keyed maps.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<int> lines;  ///< 1-based source line of each row (for error messages)
  std::vector<std::string> comments;  ///< leading '#' lines, without the '#'
};

/// Parses CSV text. Lines starting with '#' before the header are comments (kept); blank lines
/// are skipped. Throws std::runtime_error("line N: …") on an unterminated quote or a row whose
/// field count differs from the header's.
CsvTable parse_csv(const std::string& text);

/// Reads and parses a file; throws cmh::InputError naming the path and the fix when it cannot
/// be read or is malformed.
CsvTable read_csv_file(const std::string& path, const std::string& what);

/// One field, quoted when it holds a comma, quote, newline or leading/trailing space.
std::string csv_field(const std::string& s);
/// One row joined with commas, ending in '\n'.
std::string csv_row(const std::vector<std::string>& fields);

}  // namespace cmh::plots
