// Regression checks (`cmhbench check`): stored metrics compared with committed reference values
// (results/reference/*.csv, format in results/reference/README.md). Torch-free, read-only.
//
// A reference row is one metric of one grid group (an experiment's method entry × dataset × code
// length) over the seeds the experiment runs. It holds the expected mean over those seeds and a
// band measured, not typed: `check --update` reads several runs of the grid (databases made under
// different float orders: thread counts, ATEN_CPU_CAPABILITY, BLAS kernels) and sets the band
// from the spread it sees across them and across the seeds. A method that is exact under those
// changes keeps a tight band; a metric too unstable to gate anything is marked `skip`, with why.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cmh::store {
class Store;
}

namespace cmh::plots {

/// One reference row: a metric of a group, over its seeds.
struct ReferenceRow {
  std::string experiment, method, dataset;  ///< method = the entry label (runs.method)
  int bits = 0;
  std::vector<int64_t> seeds;          ///< the group's seeds, ascending
  std::vector<std::string> cell_keys;  ///< one per seed, in the same order
  std::string direction, metric;       ///< i2t … t2t; map, map@100, p@r2, map@bits=8, …
  double mean = 0;                     ///< expected mean over the seeds
  std::optional<double> noise;         ///< measured SD of that mean (float order, seed); none: not measured
  std::optional<double> band;          ///< allowed |measured mean − mean|; none: --tolerance (legacy rows)
  bool checked = true;                 ///< false: shown, never a failure (`rule = skip`)
  int runs = 1;                        ///< databases the estimate came from
  std::string why;                     ///< how the band was set, or why the row is not checked
  int line = 0;                        ///< source line (0 for rows made from databases)
};

/// How `check --update` turns measured spread into bands.
struct BandRule {
  double sigmas = 6;      ///< band = sigmas × noise × √(1 + 1/runs)
  double floor = 0.002;   ///< the narrowest band (evaluation granularity: a few flipped codes)
  double max_band = 0.05; ///< wider than this, the row gates nothing: rule = skip
  double fallback = 0.005;  ///< one value only (one run of one seed): nothing measured, this band
};

/// False for the stored values that are not a quality to compare: the count
/// queries_without_relevant (a property of the data) and the reference-code variant
/// map_at_k_reference@R (it duplicates mAP@R). `check --update` and `compare` leave them out.
bool is_compared_metric(const std::string& name);

/// Reads a reference CSV: the band format written by --update, or the older one-row-per-cell
/// format (value, tolerance) whose rows become one-seed groups. A missing or malformed file is a
/// cmh::InputError naming the file, the line and the fix.
std::vector<ReferenceRow> read_reference(const std::string& path);
/// The reference file text: header comments (`comments`, then the format), column header, rows.
std::string reference_csv(const std::vector<ReferenceRow>& rows, const std::vector<std::string>& comments = {});

/// Filters rows by `--only key=value,…` (keys: method or label — both match the entry label —,
/// dataset, bits; a key may repeat: OR within a key, AND across keys). Unknown keys are refused.
std::vector<ReferenceRow> select_rows(const std::vector<ReferenceRow>& rows, const std::string& only);

enum class Outcome { Pass, Improved, Regressed, Skipped, Missing, NotDone, NoMetric, NotANumber };
/// "pass", "IMPROVED", "REGRESSED", "skip", "MISSING", "NOT DONE", "NO METRIC", "NAN"
const char* outcome_name(Outcome o);

struct CheckRow {
  ReferenceRow ref;
  Outcome outcome = Outcome::Pass;
  std::optional<double> measured;  ///< mean over the row's seeds
  double delta = 0;                ///< measured − reference mean
  double band = 0;                 ///< in force for this row
  std::string detail;              ///< why a missing/not-done/NaN row failed
};

struct CheckResult {
  std::vector<CheckRow> rows;
  std::vector<std::string> unreferenced;  ///< done cells of the checked experiments absent from the reference
  int passed = 0, improved = 0, regressed = 0, skipped = 0, missing = 0;  ///< missing: Missing, NotDone, NoMetric, NaN
  bool ok() const { return regressed == 0 && missing == 0; }
};

/// Compares every reference row with the database: the mean of the row's seeds below
/// mean − band is a regression, above mean + band an improvement (reported, not a failure); a
/// seed's cell that is absent, not done, lacks the metric or holds NaN fails; a `skip` row is
/// shown, never judged. `tolerance` is the band of rows that carry none (legacy files).
CheckResult check_against(const store::Store& db, const std::vector<ReferenceRow>& reference, double tolerance);

/// The printed report: one line per row (all rows, or only the non-passing ones when `brief`),
/// then one readable sentence per failure and improvement, then the verdict.
std::string format_check(const CheckResult& r, double tolerance, bool brief);

/// What --update measured, besides the rows.
struct UpdateReport {
  std::vector<std::string> skipped;  ///< cells not used (not done, superseded), one line each
  std::vector<std::string> runs;     ///< one line per database: where and how it ran (float order)
};

/// Reference rows from the done runs of `experiments` (all when empty) in one or more databases,
/// each a complete run of the same grid under another float order. Every metric except counts
/// (queries_without_relevant) and the reference-code variant map_at_k_reference@R. Databases
/// that disagree about a group (other cell keys or seeds for one description, a group missing
/// from one of them) are refused with an InputError naming the group.
std::vector<ReferenceRow> reference_from_dbs(const std::vector<const store::Store*>& dbs,
                                             const std::set<std::string>& experiments, const BandRule& rule,
                                             UpdateReport& report);

/// Human-readable differences between two references: added, removed and changed rows.
std::string reference_diff(const std::vector<ReferenceRow>& before, const std::vector<ReferenceRow>& after);

}  // namespace cmh::plots
