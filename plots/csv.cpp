// CSV reading and writing.
#include "csv.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/error.h"

namespace cmh::plots {
namespace {

struct Record {
  int line = 0;
  bool comment = false;  // a line starting with an unquoted '#': fields[0] holds the rest
  std::vector<std::string> fields;
};

// Splits the text into records (a quoted field may span lines) with their first line number.
std::vector<Record> records(const std::string& text) {
  std::vector<Record> out;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, any = false;
  int line = 1, record_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
        else quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '#' && !any && field.empty() && fields.empty()) {
      const size_t end = text.find('\n', i);
      std::string rest = text.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
      if (!rest.empty() && rest.back() == '\r') rest.pop_back();
      out.push_back({record_line, true, {rest}});
      if (end == std::string::npos) return out;
      i = end;
      record_line = ++line;
      continue;
    }
    if (c == '"') { quoted = true; any = true; }
    else if (c == ',') { fields.push_back(field); field.clear(); any = true; }
    else if (c == '\r') {}
    else if (c == '\n') {
      if (any || !field.empty()) { fields.push_back(field); out.push_back({record_line, false, fields}); }
      fields.clear(); field.clear(); any = false;
      record_line = ++line;
    } else { field += c; }
  }
  if (quoted) throw std::runtime_error("line " + std::to_string(record_line) + ": unterminated quoted field");
  if (any || !field.empty()) { fields.push_back(field); out.push_back({record_line, false, fields}); }
  return out;
}

}  // namespace

CsvTable parse_csv(const std::string& text) {
  CsvTable t;
  bool have_header = false;
  for (auto& [line, comment, fields] : records(text)) {
    if (comment) {
      if (!have_header) t.comments.push_back(fields[0]);
      continue;
    }
    if (!have_header) {
      t.header = fields;
      have_header = true;
      continue;
    }
    if (fields.size() != t.header.size())
      throw std::runtime_error("line " + std::to_string(line) + ": " + std::to_string(fields.size()) +
                               " fields, the header has " + std::to_string(t.header.size()));
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < fields.size(); ++i) row[t.header[i]] = fields[i];
    t.rows.push_back(std::move(row));
    t.lines.push_back(line);
  }
  return t;
}

CsvTable read_csv_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(what + " '" + path + "' cannot be read; check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return parse_csv(ss.str());
  } catch (const std::runtime_error& e) {
    throw InputError(what + " '" + path + "': " + e.what() + "; fix the file (CSV with a header line)");
  }
}

std::string csv_field(const std::string& s) {
  const bool quote = s.find_first_of(",\"\n\r") != std::string::npos ||
                     (!s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '#'));
  if (!quote) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
  return out + "\n";
}

}  // namespace cmh::plots
