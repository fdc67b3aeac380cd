// The SQLite store: schema, write transactions that survive several writers, and read-back.
#include "store/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "common/error.h"

namespace cmh::store {
namespace {

namespace fs = std::filesystem;

// busy_timeout covers ordinary lock waits; these retries cover the cases where SQLite answers
// SQLITE_BUSY at once without calling the busy handler (WAL recovery by another process, a
// journal-mode switch racing another opener, a stale snapshot).
constexpr int kBusyTimeoutMs = 60000;
constexpr int kBusyRetries = 20;

/// An SQLite failure with its (extended) result code, so callers can tell "busy" from real errors.
class SqlError : public std::runtime_error {
 public:
  SqlError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

bool is_busy(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

[[noreturn]] void throw_sql(sqlite3* db, int rc, const std::string& context) {
  std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqlError(rc, context + ": " + msg);
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqlError(sqlite3_extended_errcode(db), std::string(sql).substr(0, 40) + ": " + msg);
  }
}

void rollback_quietly(sqlite3* db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void sleep_before_retry(int attempt) {
  // Jitter keeps two shards that collided from colliding again in lockstep.
  thread_local std::minstd_rand rng(std::random_device{}());
  const int ms = 10 + 10 * std::min(attempt, 10) + static_cast<int>(rng() % 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

/// A prepared statement; bind with 1-based indices, columns are 0-based.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    const int rc = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
    if (rc != SQLITE_OK) throw_sql(db, sqlite3_extended_errcode(db), "prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  Stmt& bind(int i, int64_t v) {
    check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, double v) {
    check(sqlite3_bind_double(s_, i, v));
    return *this;
  }
  Stmt& bind_null(int i) {
    check(sqlite3_bind_null(s_, i));
    return *this;
  }

  /// true while a row is available; false when done.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_sql(db_, sqlite3_extended_errcode(db_), "step");
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::string text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : "";
  }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  int i32(int c) const { return sqlite3_column_int(s_, c); }
  /// SQLite stores NaN as NULL; give it back as NaN rather than a silent 0.
  double real(int c) const {
    if (sqlite3_column_type(s_, c) == SQLITE_NULL) return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(s_, c);
  }
  /// For optional numbers (timings of a run that has not finished): NULL reads as 0.
  double real_or_zero(int c) const {
    return sqlite3_column_type(s_, c) == SQLITE_NULL ? 0.0 : sqlite3_column_double(s_, c);
  }
  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw_sql(db_, rc, "bind");
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

/// Runs `fn` inside BEGIN IMMEDIATE … COMMIT, retrying the whole transaction on SQLITE_BUSY a
/// bounded number of times. `fn` must be safe to run again from the start.
template <class F>
void write_transaction(sqlite3* db, const std::string& origin, F&& fn) {
  if (sqlite3_db_readonly(db, "main") == 1)
    throw std::logic_error(origin + ": the store was opened read-only");
  for (int attempt = 0;; ++attempt) {
    try {
      exec(db, "BEGIN IMMEDIATE");
      fn();
      exec(db, "COMMIT");
      return;
    } catch (const SqlError& e) {
      rollback_quietly(db);
      if (is_busy(e.code()) && attempt < kBusyRetries) {
        sleep_before_retry(attempt);
        continue;
      }
      throw std::runtime_error(origin + ": " + e.what());
    } catch (...) {
      rollback_quietly(db);
      throw;
    }
  }
}

/// A read statement, retried on the rare immediate SQLITE_BUSY (e.g. while another process
/// recovers the WAL).
template <class F>
auto read_retrying(const std::string& origin, F&& fn) -> decltype(fn()) {
  for (int attempt = 0;; ++attempt) {
    try {
      return fn();
    } catch (const SqlError& e) {
      if (is_busy(e.code()) && attempt < kBusyRetries) {
        sleep_before_retry(attempt);
        continue;
      }
      throw std::runtime_error(origin + ": " + e.what());
    }
  }
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  experiment TEXT NOT NULL,
  cell_key TEXT UNIQUE NOT NULL,
  cell_json TEXT NOT NULL,
  method TEXT NOT NULL,
  dataset TEXT NOT NULL,
  bits INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  params_json TEXT NOT NULL,
  protocol_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  error TEXT,
  started TEXT NOT NULL,
  finished TEXT,
  load_s REAL, train_s REAL, encode_s REAL, eval_s REAL,
  code_revision TEXT NOT NULL,
  host TEXT NOT NULL,
  device TEXT NOT NULL,
  threads INTEGER NOT NULL,
  library_versions_json TEXT NOT NULL,
  data_fingerprints_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_cell ON runs (experiment, method, dataset, bits, seed);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS metrics (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  direction TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, direction, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metrics_by_name ON metrics (name, direction);
CREATE TABLE IF NOT EXISTS curves (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  direction TEXT NOT NULL,
  kind TEXT NOT NULL,
  idx INTEGER NOT NULL,
  x REAL,
  y REAL,
  PRIMARY KEY (run_id, direction, kind, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  term TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, epoch, term)
) WITHOUT ROWID;
-- For the plain sqlite3 shell: one row per metric of every finished run.
CREATE VIEW IF NOT EXISTS results AS
  SELECT r.experiment, r.method, r.dataset, r.bits, r.seed, m.direction, m.name, m.value
  FROM runs AS r JOIN metrics AS m ON m.run_id = r.id
  WHERE r.status = 'done';
)sql";

bool table_exists(sqlite3* db, const char* name) {
  Stmt s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

int count_tables(sqlite3* db) {
  Stmt s(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
  s.step();
  return s.i32(0);
}

/// The stored schema version, or 0 for a database without the table or row.
int stored_version(sqlite3* db) {
  if (!table_exists(db, "schema_version")) return 0;
  Stmt s(db, "SELECT max(version) FROM schema_version");
  return s.step() && !s.is_null(0) ? s.i32(0) : 0;
}

constexpr const char* kOpenFix =
    "; check that it is a cmhbench store and that its folder is writable";

std::string too_new_message(const std::string& path, int version) {
  return "store::open: '" + path + "' has schema version " + std::to_string(version) +
         " but this build knows " + std::to_string(kSchemaVersion) + "; use a newer cmhbench";
}

std::string not_ours_message(const std::string& path) {
  return "store::open: '" + path +
         "' is an SQLite database but not a cmhbench store (no schema_version table); "
         "pick another path";
}

/// Columns of `runs` in the order bind_run_columns and read_run use.
constexpr const char* kRunColumns =
    "experiment, cell_key, cell_json, method, dataset, bits, seed, params_json, protocol_json, "
    "code_revision, host, device, threads, library_versions_json, data_fingerprints_json, "
    "status, error, started, finished, load_s, train_s, encode_s, eval_s";

// Binds the 15 record columns starting at parameter `first`.
void bind_record(Stmt& s, int first, const RunRecord& r) {
  const int i = first;
  s.bind(i, r.experiment).bind(i + 1, r.cell_key).bind(i + 2, r.cell_json);
  s.bind(i + 3, r.method).bind(i + 4, r.dataset).bind(i + 5, r.bits).bind(i + 6, r.seed);
  s.bind(i + 7, r.params_json).bind(i + 8, r.protocol_json).bind(i + 9, r.code_revision);
  s.bind(i + 10, r.host).bind(i + 11, r.device).bind(i + 12, r.threads);
  s.bind(i + 13, r.library_versions_json).bind(i + 14, r.data_fingerprints_json);
}

// Reads the columns of kRunColumns, preceded by id, from the current row of `s`.
RunRow read_run(const Stmt& s) {
  RunRow row;
  int c = 0;
  row.id = s.i64(c++);
  RunRecord& r = row.record;
  r.experiment = s.text(c++);
  r.cell_key = s.text(c++);
  r.cell_json = s.text(c++);
  r.method = s.text(c++);
  r.dataset = s.text(c++);
  r.bits = s.i32(c++);
  r.seed = s.i64(c++);
  r.params_json = s.text(c++);
  r.protocol_json = s.text(c++);
  r.code_revision = s.text(c++);
  r.host = s.text(c++);
  r.device = s.text(c++);
  r.threads = s.i32(c++);
  r.library_versions_json = s.text(c++);
  r.data_fingerprints_json = s.text(c++);
  row.status = s.text(c++);
  row.error = s.text(c++);
  row.started = s.text(c++);
  row.finished = s.text(c++);
  row.timings.load = s.real_or_zero(c++);
  row.timings.train = s.real_or_zero(c++);
  row.timings.encode = s.real_or_zero(c++);
  row.timings.eval = s.real_or_zero(c++);
  return row;
}

void delete_children(sqlite3* db, int64_t run_id) {
  for (const char* sql :
       {"DELETE FROM metrics WHERE run_id = ?", "DELETE FROM curves WHERE run_id = ?",
        "DELETE FROM epochs WHERE run_id = ?"}) {
    Stmt s(db, sql);
    s.bind(1, run_id).run();
  }
}

void insert_children(sqlite3* db, int64_t run_id, const std::vector<Metric>& metrics,
                     const std::vector<CurvePoint>& curves, const std::vector<EpochValue>& epochs) {
  Stmt m(db, "INSERT INTO metrics (run_id, direction, name, value) VALUES (?, ?, ?, ?)");
  for (const Metric& v : metrics)
    m.bind(1, run_id).bind(2, v.direction).bind(3, v.name).bind(4, v.value).run();
  Stmt c(db, "INSERT INTO curves (run_id, direction, kind, idx, x, y) VALUES (?, ?, ?, ?, ?, ?)");
  for (const CurvePoint& p : curves)
    c.bind(1, run_id)
        .bind(2, p.direction)
        .bind(3, p.kind)
        .bind(4, p.index)
        .bind(5, p.x)
        .bind(6, p.y)
        .run();
  Stmt e(db, "INSERT INTO epochs (run_id, epoch, term, value) VALUES (?, ?, ?, ?)");
  for (const EpochValue& v : epochs)
    e.bind(1, run_id).bind(2, v.epoch).bind(3, v.term).bind(4, v.value).run();
}

void require_run(sqlite3* db, int64_t run_id, const std::string& origin) {
  Stmt s(db, "SELECT 1 FROM runs WHERE id = ?");
  s.bind(1, run_id);
  if (!s.step()) throw std::invalid_argument(origin + ": no run with id " + std::to_string(run_id));
}

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

std::string format_value(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

// The first difference between two lists sorted by key(), or "": an entry on one side only, or
// a value that differs (NaN equals NaN). `label` names an entry, `values` gives its numbers.
template <class T, class Key, class Values, class Label>
std::string first_difference_of(const std::vector<T>& here, const std::vector<T>& other, Key key, Values values,
                                Label label) {
  auto show = [](const std::vector<double>& v) {
    std::string out;
    for (double x : v) out += (out.empty() ? "" : " ") + format_value(x);
    return out;
  };
  size_t i = 0, j = 0;
  while (i < here.size() || j < other.size()) {
    if (j == other.size() || (i < here.size() && key(here[i]) < key(other[j])))
      return label(here[i]) + ": here " + show(values(here[i])) + ", absent in other";
    if (i == here.size() || key(other[j]) < key(here[i]))
      return label(other[j]) + ": absent here, other " + show(values(other[j]));
    const auto a = values(here[i]), b = values(other[j]);
    for (size_t v = 0; v < a.size(); ++v)
      if (!same_value(a[v], b[v])) return label(here[i]) + ": here " + show(a) + ", other " + show(b);
    ++i;
    ++j;
  }
  return "";
}

// What `merge` compares of two finished runs of one cell: every metric, every curve point and
// every epoch value (two runs whose mAPs agree but whose curves or training logs differ are not
// the same run). "" when they agree; otherwise the first difference, e.g. "i2t/map: here 0.71,
// other 0.72".
std::string first_difference(const Store& a, int64_t a_id, const std::vector<Metric>& metrics,
                             const std::vector<CurvePoint>& curves, const std::vector<EpochValue>& epochs) {
  std::string diff = first_difference_of(
      a.metrics(a_id), metrics, [](const Metric& m) { return std::tie(m.direction, m.name); },
      [](const Metric& m) { return std::vector<double>{m.value}; },
      [](const Metric& m) { return m.direction + "/" + m.name; });
  if (!diff.empty()) return diff;
  diff = first_difference_of(
      a.curves(a_id, ""), curves, [](const CurvePoint& c) { return std::tie(c.direction, c.kind, c.index); },
      [](const CurvePoint& c) { return std::vector<double>{c.x, c.y}; },
      [](const CurvePoint& c) { return "curve " + c.direction + "/" + c.kind + " point " + std::to_string(c.index); });
  if (!diff.empty()) return diff;
  return first_difference_of(
      a.epochs(a_id), epochs, [](const EpochValue& e) { return std::tie(e.epoch, e.term); },
      [](const EpochValue& e) { return std::vector<double>{e.value}; },
      [](const EpochValue& e) { return "epoch " + std::to_string(e.epoch) + " " + e.term; });
}

/// `name` for sqlite3_open_v2 (a path, or a URI with SQLITE_OPEN_URI); `path` for messages.
sqlite3* open_connection(const std::string& name, const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw InputError("store::open: cannot open '" + path + "' (" + msg + "); " +
                     ((flags & SQLITE_OPEN_READONLY) != 0
                          ? "check that the file is readable"
                          : "check that its folder exists and is writable, or pick another path"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return db;
}

/// A path as the path part of an SQLite URI: only %, ? and # need escaping.
std::string uri_escape(const std::string& path) {
  std::string out;
  char hex[4];
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Store::Store(const std::string& path, bool read_only) : Store(path, read_only, false) {}

Store::Store(const std::string& path, bool read_only, bool tolerate_uninitialised) : path_(path) {
  if (path.empty()) throw InputError("store::open: empty database path; give a file name");
  const bool in_memory = path == ":memory:";
  std::error_code ec;
  if (!in_memory && fs::is_directory(path, ec))
    throw InputError("store::open: '" + path + "' is a folder; give a file name inside it");
  if (read_only && !in_memory && !fs::exists(path, ec))
    throw InputError("store::open: '" + path +
                     "' does not exist; check the path (a read-only open never creates a store)");
  if (!read_only && !in_memory) {
    const fs::path parent = fs::absolute(fs::path(path), ec).parent_path();
    if (!parent.empty() && !fs::exists(parent, ec))
      throw InputError("store::open: cannot create '" + path + "': folder '" + parent.string() +
                       "' does not exist; create it first or pick another path");
    if (!parent.empty() && !fs::is_directory(parent, ec))
      throw InputError("store::open: cannot create '" + path + "': '" + parent.string() +
                       "' is not a folder; pick another path");
  }

  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db_ = open_connection(path, path, flags);
  try {
    if (!read_only && sqlite3_db_readonly(db_, "main") == 1)
      throw InputError("store::open: '" + path +
                       "' is read-only; make it writable (chmod u+w) or open it read-only");

    // Pragmas and the schema check; any SQLite failure here is about the file the user named.
    try {
      exec(db_, "PRAGMA foreign_keys = ON");
      if (read_only) {
        const std::string origin = "store::open: '" + path + "'";
        int version = 0;
        try {
          version = read_retrying(origin, [&] { return stored_version(db_); });
        } catch (const std::runtime_error&) {
          // A WAL store whose writers have all closed, in a folder we cannot write: SQLite
          // cannot create the -shm it wants, but with no -wal left the main file is complete
          // and can be read as immutable.
          std::error_code ec2;
          const std::string folder = fs::absolute(fs::path(path), ec2).parent_path().string();
          if (fs::exists(path + "-wal", ec2) || access(folder.c_str(), W_OK) == 0) throw;
          sqlite3_close(db_);
          db_ = nullptr;
          db_ = open_connection("file:" + uri_escape(path) + "?immutable=1", path,
                                SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
          exec(db_, "PRAGMA foreign_keys = ON");
          version = read_retrying(origin, [&] { return stored_version(db_); });
        }
        if (version == 0 && tolerate_uninitialised && count_tables(db_) == 0) uninitialised_ = true;
        else if (version == 0)
          throw InputError(count_tables(db_) == 0
                               ? "store::open: '" + path +
                                     "' is empty, not a cmhbench store; check the path"
                               : not_ours_message(path));
        if (version > kSchemaVersion) throw InputError(too_new_message(path, version));
      } else {
        // Refuse a newer store before the journal-mode switch below touches its header.
        const int seen =
            read_retrying("store::open: '" + path + "'", [&] { return stored_version(db_); });
        if (seen > kSchemaVersion) throw InputError(too_new_message(path, seen));
        // A journal-mode switch needs every other connection out of the way and can answer
        // SQLITE_BUSY at once, so it gets the same bounded retries as a write transaction.
        for (int attempt = 0;; ++attempt) {
          try {
            exec(db_, "PRAGMA journal_mode = WAL");
            break;
          } catch (const SqlError& e) {
            if (!is_busy(e.code()) || attempt >= kBusyRetries) throw;
            sleep_before_retry(attempt);
          }
        }
        exec(db_, "PRAGMA synchronous = NORMAL");
        write_transaction(db_, "store::open: '" + path + "'", [&] {
          const int version = stored_version(db_);
          if (version > kSchemaVersion) throw InputError(too_new_message(path, version));
          if (version == 0 && !table_exists(db_, "schema_version") && count_tables(db_) > 0)
            throw InputError(not_ours_message(path));
          exec(db_, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
          exec(db_, kSchema);
          if (version == 0) {
            Stmt s(db_, "INSERT INTO schema_version (version) VALUES (?)");
            s.bind(1, kSchemaVersion).run();
          }
        });
      }
    } catch (const SqlError& e) {
      throw InputError("store::open: '" + path + "': " + e.what() + kOpenFix);
    } catch (const InputError&) {
      throw;
    } catch (const std::runtime_error& e) {  // from write_transaction, already prefixed
      throw InputError(e.what() + std::string(kOpenFix));
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() {
  // Every statement is finalized by its Stmt, so close cannot be refused for open statements.
  if (db_) sqlite3_close(db_);
}

std::map<std::string, std::string> Store::peek_statuses(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return {};
  const Store peek(path, /*read_only=*/true, /*tolerate_uninitialised=*/true);
  return peek.statuses();
}

std::map<std::string, std::string> Store::statuses() const {
  if (uninitialised_) return {};
  return read_retrying("store::statuses", [&] {
    std::map<std::string, std::string> out;
    Stmt s(db_, "SELECT cell_key, status FROM runs");
    while (s.step()) out[s.text(0)] = s.text(1);
    return out;
  });
}

bool Store::is_done(const std::string& cell_key) const {
  return read_retrying("store::is_done", [&] {
    Stmt s(db_, "SELECT 1 FROM runs WHERE cell_key = ? AND status = 'done'");
    s.bind(1, cell_key);
    return s.step();
  });
}

int64_t Store::begin_run(const RunRecord& record) {
  if (record.cell_key.empty()) throw std::invalid_argument("store::begin_run: empty cell key");
  int64_t id = 0;
  write_transaction(db_, "store::begin_run", [&] {
    Stmt find(db_, "SELECT id FROM runs WHERE cell_key = ?");
    find.bind(1, record.cell_key);
    const std::string started = now_utc();
    if (find.step()) {
      id = find.i64(0);
      Stmt up(db_,
              "UPDATE runs SET experiment = ?1, cell_key = ?2, cell_json = ?3, method = ?4, "
              "dataset = ?5, bits = ?6, seed = ?7, params_json = ?8, protocol_json = ?9, "
              "code_revision = ?10, host = ?11, device = ?12, threads = ?13, "
              "library_versions_json = ?14, data_fingerprints_json = ?15, status = 'running', "
              "error = NULL, started = ?16, finished = NULL, load_s = NULL, train_s = NULL, "
              "encode_s = NULL, eval_s = NULL WHERE id = ?17");
      bind_record(up, 1, record);
      up.bind(16, started).bind(17, id).run();
      delete_children(db_, id);
    } else {
      Stmt ins(db_,
               "INSERT INTO runs (experiment, cell_key, cell_json, method, dataset, bits, seed, "
               "params_json, protocol_json, code_revision, host, device, threads, "
               "library_versions_json, data_fingerprints_json, status, started) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)");
      bind_record(ins, 1, record);
      ins.bind(16, started).run();
      id = sqlite3_last_insert_rowid(db_);
    }
  });
  return id;
}

void Store::finish_run(int64_t run_id, const std::vector<Metric>& metrics,
                       const std::vector<CurvePoint>& curves, const std::vector<EpochValue>& epochs,
                       const Timings& timings) {
  write_transaction(db_, "store::finish_run", [&] {
    require_run(db_, run_id, "store::finish_run");
    // Children of an earlier attempt at this id would collide with the new ones.
    delete_children(db_, run_id);
    insert_children(db_, run_id, metrics, curves, epochs);
    Stmt up(db_,
            "UPDATE runs SET status = 'done', error = NULL, finished = ?, load_s = ?, train_s = ?, "
            "encode_s = ?, eval_s = ? WHERE id = ?");
    up.bind(1, now_utc()).bind(2, timings.load).bind(3, timings.train).bind(4, timings.encode);
    up.bind(5, timings.eval).bind(6, run_id).run();
  });
}

void Store::fail_run(int64_t run_id, const std::string& error) {
  write_transaction(db_, "store::fail_run", [&] {
    require_run(db_, run_id, "store::fail_run");
    delete_children(db_, run_id);
    Stmt up(db_, "UPDATE runs SET status = 'failed', error = ?, finished = ? WHERE id = ?");
    up.bind(1, error).bind(2, now_utc()).bind(3, run_id).run();
  });
}

std::vector<RunRow> Store::runs(const std::string& experiment) const {
  return read_retrying("store::runs", [&] {
    const std::string sql = std::string("SELECT id, ") + kRunColumns + " FROM runs" +
                            (experiment.empty() ? "" : " WHERE experiment = ?") + " ORDER BY id";
    Stmt s(db_, sql.c_str());
    if (!experiment.empty()) s.bind(1, experiment);
    std::vector<RunRow> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
  });
}

std::vector<Metric> Store::metrics(int64_t run_id) const {
  return read_retrying("store::metrics", [&] {
    Stmt s(db_,
           "SELECT direction, name, value FROM metrics WHERE run_id = ? ORDER BY direction, name");
    s.bind(1, run_id);
    std::vector<Metric> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.real(2)});
    return out;
  });
}

std::vector<CurvePoint> Store::curves(int64_t run_id, const std::string& kind) const {
  return read_retrying("store::curves", [&] {
    const std::string sql =
        std::string("SELECT direction, kind, idx, x, y FROM curves WHERE run_id = ?") +
        (kind.empty() ? "" : " AND kind = ?") + " ORDER BY direction, kind, idx";
    Stmt s(db_, sql.c_str());
    s.bind(1, run_id);
    if (!kind.empty()) s.bind(2, kind);
    std::vector<CurvePoint> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.i32(2), s.real(3), s.real(4)});
    return out;
  });
}

std::vector<EpochValue> Store::epochs(int64_t run_id) const {
  return read_retrying("store::epochs", [&] {
    Stmt s(db_, "SELECT epoch, term, value FROM epochs WHERE run_id = ? ORDER BY epoch, term");
    s.bind(1, run_id);
    std::vector<EpochValue> out;
    while (s.step()) out.push_back({s.i32(0), s.text(1), s.real(2)});
    return out;
  });
}

Store::MergeReport Store::merge_from(const Store& other) {
  // Read everything of `other` first: its connection takes no part in our transaction.
  struct Incoming {
    RunRow row;
    std::vector<Metric> metrics;
    std::vector<CurvePoint> curves;
    std::vector<EpochValue> epochs;
  };
  std::vector<Incoming> incoming;
  std::vector<std::string> not_done;
  for (RunRow& row : other.runs()) {
    if (row.status != "done") {
      const RunRecord& r = row.record;
      not_done.push_back(r.cell_key + " (" + r.method + " " + std::to_string(r.bits) + " bits, seed " +
                         std::to_string(r.seed) + "): " + row.status + (row.error.empty() ? "" : ": " + row.error));
      continue;
    }
    Incoming in;
    in.metrics = other.metrics(row.id);
    in.curves = other.curves(row.id);
    in.epochs = other.epochs(row.id);
    in.row = std::move(row);
    incoming.push_back(std::move(in));
  }

  MergeReport report;
  write_transaction(db_, "store::merge_from", [&] {
    report = MergeReport{};  // a retried transaction starts counting again
    Stmt find(db_, "SELECT id, status FROM runs WHERE cell_key = ?");
    for (const Incoming& in : incoming) {
      find.bind(1, in.row.record.cell_key);
      const bool present = find.step();
      const int64_t here_id = present ? find.i64(0) : 0;
      const std::string here_status = present ? find.text(1) : "";
      find.reset();
      if (present && here_status == "done") {
        const std::string diff = first_difference(*this, here_id, in.metrics, in.curves, in.epochs);
        if (diff.empty())
          ++report.identical;
        else
          report.conflicts.push_back(in.row.record.cell_key + " (" + in.row.record.method + " " +
                                     std::to_string(in.row.record.bits) + " bits, seed " +
                                     std::to_string(in.row.record.seed) + "): " + diff);
        continue;
      }
      // Absent here, or here only running/failed: take the finished run. A row that is not done
      // has no results to lose, and keeping it would leave the merged store without that cell.
      int64_t id = here_id;
      if (present) {
        delete_children(db_, id);
        Stmt del(db_, "DELETE FROM runs WHERE id = ?");
        del.bind(1, id).run();
      }
      const std::string sql =
          std::string("INSERT INTO runs (") + (present ? "id, " : "") + kRunColumns + ") VALUES (" +
          (present ? "?, " : "") +
          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      Stmt ins(db_, sql.c_str());
      int p = 1;
      if (present) ins.bind(p++, id);
      bind_record(ins, p, in.row.record);
      p += 15;
      const RunRow& r = in.row;
      ins.bind(p++, r.status);
      if (r.error.empty())
        ins.bind_null(p++);
      else
        ins.bind(p++, r.error);
      ins.bind(p++, r.started);
      if (r.finished.empty())
        ins.bind_null(p++);
      else
        ins.bind(p++, r.finished);
      ins.bind(p, r.timings.load).bind(p + 1, r.timings.train).bind(p + 2, r.timings.encode);
      ins.bind(p + 3, r.timings.eval).run();
      if (!present) id = sqlite3_last_insert_rowid(db_);
      insert_children(db_, id, in.metrics, in.curves, in.epochs);
      ++report.copied;
    }
  });
  report.not_done = std::move(not_done);
  return report;
}

std::string Store::integrity_check() const {
  return read_retrying("store::integrity_check", [&] {
    Stmt s(db_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) {
      if (!out.empty()) out += '\n';
      out += s.text(0);
    }
    return out;
  });
}

}  // namespace cmh::store
