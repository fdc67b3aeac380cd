// Paper-style tables (rows = methods, columns = datasets × code lengths, one per direction) and
// their Markdown, LaTeX (booktabs), CSV and HTML renderings. Torch-free.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "published.h"
#include "results.h"

namespace cmh::store {
class Store;
}

namespace cmh::plots {

struct TableCell {
  CellStat stat;
  std::optional<PublishedValue> published;
  bool comparable = true;  ///< false when our run used a synthetic modality (honesty rule)
  bool best = false;       ///< highest mean of its column (bold)
};

struct ColumnGroup {
  std::string dataset;
  std::vector<int> columns;  ///< code lengths (or kept bits)
};

struct Table {
  std::string id;     ///< file stem: "map_i2t", "bitscale_scahn_i2t"
  std::string title;  ///< "mAP@all, image → text (I→T)"
  std::string column_unit = "bits";
  std::vector<ColumnGroup> groups;
  std::vector<std::string> rows;
  std::vector<std::vector<TableCell>> cells;  ///< [row][column over all groups]
  std::set<size_t> unranked_rows;             ///< rows not in the "best of its column" marking (differences)
  std::vector<std::string> notes;             ///< about the table itself (legend, sources, honesty marks)
  std::optional<size_t> not_comparable_note;  ///< index in notes of the "† NOT COMPARABLE" note, when one
  std::vector<const RunInfo*> runs;           ///< every run the table shows (for provenance)
  Provenance provenance;
  size_t column_count() const;
};

/// One mAP table per direction present (I→T, T→I first), published values beside ours.
std::vector<Table> map_tables(const ResultSet& rs, const PublishedValues& published, const std::string& generated);

/// For every row with "bitscale" curves (SCAHN): per direction, mAP of the first k' bits of each
/// trained k-bit model beside the model trained at k' (rows), per dataset × kept bits (columns).
std::vector<Table> bitscale_tables(const ResultSet& rs, const store::Store& db, const std::string& generated);

/// A table's footnotes when it stands alone (its .md and .tex files): its own notes, then what
/// its runs recorded (run_notes), as "Note — row: text".
std::vector<std::string> footnotes(const Table& t);

/// Marks the best cell of each column (needs ≥ 2 values in the column).
void mark_best(Table& t);

std::string to_markdown(const Table& t);
std::string to_latex(const Table& t);
/// Wide CSV: method, then one column per dataset × bits holding the mean, or the status word.
std::string to_csv(const Table& t);
std::string to_html(const Table& t);

/// Long CSV of every aggregated metric: one row per row × dataset × bits × direction × metric.
std::string results_long_csv(const ResultSet& rs, const PublishedValues& published);
/// Long CSV of every run: one row per run × metric (failed/running runs: one row, no metric).
std::string runs_csv(const ResultSet& rs);

/// Escapes text for LaTeX, turning the arrows and signs tables use into math.
std::string latex_escape(const std::string& s);
/// Escapes text for HTML.
std::string html_escape(const std::string& s);

/// "0.7123"; values are shown with four decimals everywhere.
std::string fmt4(double v);
/// The CSV header "<dataset> <n> bits" of a column.
std::string column_name(const std::string& dataset, int n, const std::string& unit);

}  // namespace cmh::plots
