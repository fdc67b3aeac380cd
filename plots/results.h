// The stored runs of one database as the report and the check see them: runs with their
// protocol flags and metrics, grouped into table cells (row × dataset × bits, seeds pooled).
// Torch-free; reads the store read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace cmh::store {
class Store;
}

namespace cmh::plots {

/// The members of a set in its order, separated by `sep` (numbers as std::to_string writes them).
template <class T>
std::string join(const std::set<T>& s, const std::string& sep = ", ") {
  std::string out;
  for (const auto& v : s) {
    if (!out.empty()) out += sep;
    if constexpr (std::is_same_v<T, std::string>) out += v;
    else out += std::to_string(v);
  }
  return out;
}

/// "I→T" for "i2t", … (unknown directions are returned as is).
std::string direction_label(const std::string& direction);
/// "image → text" for "i2t", …
std::string direction_words(const std::string& direction);
/// The order tables use: i2t, t2i first (the papers' tables), then the uni-modal ones.
int direction_rank(const std::string& direction);

/// "mirflickr25k" from "mirflickr25k (synthetic images)": the name published values use.
std::string dataset_base(const std::string& dataset);

/// One run row, with the JSON columns decoded.
struct RunInfo {
  int64_t id = 0;
  std::string experiment, cell_key, label, method, dataset;
  /// The method as the run declared it (protocol_json "method"; its registry entry when it ran):
  /// the name tables and the published-values file use ("SePH-km"; the registry name where an
  /// older store did not record it), and its place in the program's table order (-1: not
  /// recorded: such rows follow the others).
  std::string display;
  int rank = -1;
  std::string row;  ///< the table row it appears under (ResultSet::row_of)
  int bits = 0;
  int64_t seed = 0;
  std::string status, error, started, finished, code_revision;
  int threads = 0;
  // From protocol_json.
  bool synthetic_image = false, synthetic_text = false;
  std::string image_source, text_source, selection, tie_rule, split;
  bool selection_peeks_at_test = false;  ///< the kept epoch was chosen on the query (test) set
  std::vector<std::string> notes;
  std::map<std::pair<std::string, std::string>, double> metrics;  ///< (direction, name) → value

  std::optional<double> metric(const std::string& direction, const std::string& name) const;
  bool synthetic() const { return synthetic_image || synthetic_text; }
  /// "synthetic image" / "synthetic image and text" / "" — for notes and provenance.
  std::string synthetic_modalities() const;
};

/// Mean, spread and status of one table cell over its seeds.
/// Mean and sample standard deviation (n − 1; 0 for fewer than two values) of a non-empty list.
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& values);

struct CellStat {
  std::vector<const RunInfo*> runs;  ///< every seed's run, any status
  std::vector<double> values;        ///< the metric of the done runs that have it
  int done = 0, failed = 0, running = 0;
  double mean = 0, std = 0;  ///< sample standard deviation (n − 1) when ≥ 2 values
  bool has_value() const { return !values.empty(); }
  /// Sets mean and std from `values` (left at 0 when there is none).
  void summarise();
  /// "failed", "running", "failed/running", "—" (no run) when there is no value.
  std::string status_word() const;
};

/// Everything the report needs from one database.
struct ResultSet {
  std::string db_path;
  std::vector<RunInfo> runs;         ///< latest run per (experiment, label, dataset, bits, seed), by id
  int superseded = 0;                ///< older runs of the same cell description (other keys) left out
  std::vector<std::string> experiments;  ///< in order of first appearance
  std::vector<std::string> datasets;     ///< in order of first appearance
  std::vector<std::string> rows;         ///< row names in table order
  std::map<std::string, std::string> row_method;  ///< row → registry name
  std::map<std::string, std::string> row_display;  ///< row → the method's display name
  std::map<std::string, int> row_colour;          ///< row → palette index (stable per method)
  /// Palette indices below this belong to the methods' places in the table order; the rest are
  /// spare colours for variants and curves (plots/figures.cpp kPalette).
  static constexpr int kMethodColours = 15;

  /// The row name a run appears under (display name, label and experiment where needed).
  std::string row_of(const RunInfo& r) const;
  /// Code lengths present for a dataset (ascending).
  std::vector<int> bits_of(const std::string& dataset) const;
  /// Directions present in metrics, in table order.
  std::vector<std::string> directions() const;
  /// The runs of a cell, any status.
  std::vector<const RunInfo*> cell_runs(const std::string& row, const std::string& dataset, int bits) const;
  /// The cell's statistic for one metric.
  CellStat cell(const std::string& row, const std::string& dataset, int bits, const std::string& direction,
                const std::string& metric) const;

  bool multiple_experiments() const { return experiments.size() > 1; }
};

/// Loads the runs of `experiment` (all when empty) from an open store. An experiment name the
/// database does not hold is a cmh::InputError listing the names it holds.
ResultSet load_results(const store::Store& db, const std::string& experiment);

/// Where runs came from: the report's provenance section, a table's own files, a figure's scripts.
struct Provenance {
  std::set<std::string> experiments, data, selection, tie_rule, code_revision;
  std::set<int64_t> seeds;
  std::string first_finished, last_finished;  ///< ISO-8601 UTC of the runs shown
  std::string generated;                      ///< when the report was made
  /// (name, value) in order: experiment, data, seeds, selection, ties, code, runs, report (when
  /// generated is set); "unrecorded" for an empty field.
  std::vector<std::pair<std::string, std::string>> fields() const;
  /// "experiment: … · data: … · seeds: … · selection: … · ties: … · code: … · runs: …"
  std::string line() const;
};
Provenance provenance_of(const std::vector<const RunInfo*>& runs, const std::string& generated);
/// What runs recorded about themselves (deviations from the reference code, choices made), as
/// (row, text) once each, sorted; a method's own "name: " prefix is dropped.
std::vector<std::pair<std::string, std::string>> run_notes(const std::vector<const RunInfo*>& runs);
/// The data description of one run: name plus which modalities are synthetic and their sources.
std::string data_description(const RunInfo& r);

}  // namespace cmh::plots
