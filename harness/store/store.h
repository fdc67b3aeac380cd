// The SQLite store of every run: one row per cell in `runs`, its metrics, curves and per-epoch
// values in child tables. Torch-free. A cell's results land in one transaction, so a crash
// leaves either a complete run or none; WAL and a busy timeout let several processes (shards)
// write one database at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cmh::store {

inline constexpr int kSchemaVersion = 1;

/// What identifies and describes one cell, and where it ran.
struct RunRecord {
  std::string experiment;
  std::string cell_key;      ///< hash of the canonical cell description (unique)
  std::string cell_json;     ///< the canonical description itself
  std::string method;
  std::string dataset;
  int bits = 0;
  int64_t seed = 0;
  std::string params_json;   ///< the method's resolved parameters
  std::string protocol_json; ///< split rule and sizes, selection rule, tie rule, synthetic flags
  std::string code_revision; ///< git describe of the source tree the binary was built from
  std::string host;
  std::string device;        ///< "cpu", "cuda:0"
  int threads = 0;
  std::string library_versions_json;
  std::string data_fingerprints_json;
};

struct Metric {
  std::string direction;  ///< i2t, t2i, i2i, t2t
  std::string name;       ///< eval/metric_names.h: map, map@500, map_at_k_reference@500, p@r2, …
  double value = 0;
};

struct CurvePoint {
  std::string direction;  ///< as above, or "" for curves that have none (loss)
  std::string kind;       ///< eval/metric_names.h (pr, topn, bitscale, …), or loss
  int index = 0;          ///< point order
  double x = 0, y = 0;
};

struct EpochValue {
  int epoch = 0;
  std::string term;  ///< loss, loss_image, loss_text, lr, val_map, …
  double value = 0;
};

/// Wall time of each phase of a cell, seconds.
struct Timings {
  double load = 0, train = 0, encode = 0, eval = 0;
};

/// A run row as read back.
struct RunRow {
  int64_t id = 0;
  RunRecord record;
  std::string status;  ///< running, done, failed
  std::string error;
  std::string started, finished;  ///< ISO-8601 UTC
  Timings timings;
};

class Store {
 public:
  /// Opens (creating if needed, unless read_only) the database at `path`: WAL, busy timeout,
  /// schema created or checked. A newer schema than this build knows is an error.
  /// Errors are cmh::InputError naming the path and the fix (e.g. an unwritable folder).
  explicit Store(const std::string& path, bool read_only = false);
  ~Store();

  /// The statuses of the store at `path`, read without creating or changing it. Empty when the
  /// file does not exist, or exists without a schema yet: another `run` starting on the same new
  /// database has created the file and not yet committed the schema. Anything else that is not a
  /// cmhbench store is an error, as for a read-only open.
  static std::map<std::string, std::string> peek_statuses(const std::string& path);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  /// status of every cell key present ("running", "done", "failed").
  std::map<std::string, std::string> statuses() const;
  bool is_done(const std::string& cell_key) const;

  /// Marks a cell as running (inserting its row, or resetting a failed/running/--force row and
  /// deleting its old children) and returns its run id. One short transaction.
  int64_t begin_run(const RunRecord& record);

  /// Everything a finished cell produced, in one transaction; status becomes done.
  void finish_run(int64_t run_id, const std::vector<Metric>& metrics,
                  const std::vector<CurvePoint>& curves, const std::vector<EpochValue>& epochs,
                  const Timings& timings);

  /// The cell failed: status failed with the error text; no metrics are kept.
  void fail_run(int64_t run_id, const std::string& error);

  /// Runs, optionally of one experiment, ordered by id.
  std::vector<RunRow> runs(const std::string& experiment = "") const;
  std::vector<Metric> metrics(int64_t run_id) const;
  std::vector<CurvePoint> curves(int64_t run_id, const std::string& kind = "") const;
  std::vector<EpochValue> epochs(int64_t run_id) const;

  /// Copies every done run of `other` not present here (by cell key) with all its children;
  /// returns {copied, identical duplicates skipped, conflicting duplicates (same key, other
  /// metric values) — reported, never silently dropped; runs of `other` that are not done
  /// (running or failed) — not copied, but listed}. Idempotent: merging the same file again
  /// copies nothing. On a conflict the run already here is kept.
  struct MergeReport {
    int copied = 0, identical = 0;
    std::vector<std::string> conflicts;  ///< "<cell key> (<method> <bits> bits, seed <seed>): <first difference>"
    std::vector<std::string> not_done;   ///< "<cell key> (<method> <bits> bits, seed <seed>): <status>[: error]"
  };
  MergeReport merge_from(const Store& other);

  /// PRAGMA integrity_check → "ok" when healthy.
  std::string integrity_check() const;

 private:
  /// `tolerate_uninitialised`: a read-only open of a file without any table succeeds, with
  /// `uninitialised_` set, instead of refusing it as "not a cmhbench store".
  Store(const std::string& path, bool read_only, bool tolerate_uninitialised);

  std::string path_;
  sqlite3* db_ = nullptr;
  bool uninitialised_ = false;
};

}  // namespace cmh::store
