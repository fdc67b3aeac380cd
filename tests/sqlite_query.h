// Reading a results database in tests: one-column query results, opened read-only.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

namespace cmh::test {

/// One-column results of `sql` on `db` opened read-only; empty when the file cannot be opened.
/// Waits up to 20 s for a writer (tests read while `cmhbench run` processes write).
inline std::vector<std::string> query(const std::string& db, const std::string& sql) {
  std::vector<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_busy_timeout(h, 20000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// A count(*)-style query as a number (-1 when it gave nothing).
inline long count(const std::string& db, const std::string& sql) {
  const auto v = query(db, sql);
  return v.empty() ? -1 : std::stol(v.front());
}

}  // namespace cmh::test
