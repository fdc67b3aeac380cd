// Regression checks (`cmhbench check`): stored metrics compared with committed reference values
// (results/reference/*.csv, format in results/reference/README.md). Torch-free, read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cmh::store {
class Store;
}

namespace cmh::plots {

/// One reference value: a cell (its key for exactness, its description for people), a metric.
struct ReferenceRow {
  std::string experiment, cell_key, method, dataset;  ///< method = the entry label (runs.method)
  int bits = 0;
  int64_t seed = 0;
  std::string direction, metric;  ///< i2t … t2t; map, map@100, p@r2, …
  double value = 0;
  std::optional<double> tolerance;  ///< overrides --tolerance for this row
  int line = 0;                     ///< source line (0 for rows made from a database)
};

/// Reads a reference CSV; a missing or malformed file is a cmh::InputError naming the file,
/// the line and the fix.
std::vector<ReferenceRow> read_reference(const std::string& path);
/// The reference file text (header comments, column header, rows with 17 significant digits).
std::string reference_csv(const std::vector<ReferenceRow>& rows);

enum class Outcome { Pass, Improved, Regressed, Missing, NotDone, NoMetric };
const char* outcome_name(Outcome o);  ///< "pass", "IMPROVED", "REGRESSED", "MISSING", "NOT DONE", "NO METRIC"

struct CheckRow {
  ReferenceRow ref;
  Outcome outcome = Outcome::Pass;
  std::optional<double> measured;
  double delta = 0;  ///< measured − reference
  double tolerance = 0;
  std::string detail;  ///< why a missing/not-done row failed
};

struct CheckResult {
  std::vector<CheckRow> rows;
  std::vector<std::string> unreferenced;  ///< done cells of the checked experiments absent from the reference
  int passed = 0, improved = 0, regressed = 0, missing = 0;  ///< missing counts Missing, NotDone, NoMetric
  bool ok() const { return regressed == 0 && missing == 0; }
};

/// Compares every reference row with the database. A value below reference − tolerance is a
/// regression, above reference + tolerance an improvement (reported, not a failure); a cell
/// that is absent, not done, or lacks the metric fails.
CheckResult check_against(const store::Store& db, const std::vector<ReferenceRow>& reference, double tolerance);

/// The printed report: one line per row (all rows, or only the non-passing ones when `brief`),
/// then one readable sentence per failure and improvement, then the verdict.
std::string format_check(const CheckResult& r, double tolerance, bool brief);

/// Reference rows from the done runs of `experiments` (all when empty): every metric except
/// counts (queries_without_relevant) and the reference-code variant map_at_k_reference@R.
/// Per-row tolerances of `previous` rows with the same cell key, direction and metric carry
/// over. Cells not done, and runs superseded by a later run of the same description (experiment,
/// label, dataset, bits, seed), are listed in `skipped`.
std::vector<ReferenceRow> reference_from_db(const store::Store& db, const std::set<std::string>& experiments,
                                            const std::vector<ReferenceRow>& previous,
                                            std::vector<std::string>& skipped);

/// Human-readable differences between two references: added, removed and changed rows.
std::string reference_diff(const std::vector<ReferenceRow>& before, const std::vector<ReferenceRow>& after);

}  // namespace cmh::plots
