// `cmhbench compare A.sqlite B.sqlite`: before and after a change, per method, dataset and code
// length, the difference of the means over seeds with its uncertainty, and whether it is beyond
// noise. Torch-free, read-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cmh::store {
class Store;
}

namespace cmh::plots {

/// One metric of one group (method label × dataset × bits) in both databases.
struct CompareRow {
  std::string method, dataset;
  int bits = 0;
  std::string direction, metric;
  int n_a = 0, n_b = 0;           ///< seeds in A and B (done runs)
  double mean_a = 0, mean_b = 0;  ///< means over those seeds
  std::optional<double> sd_a, sd_b;  ///< sample SDs over seeds (none with one seed)
  double diff = 0;                   ///< mean_b − mean_a
  std::optional<double> half_width;  ///< 95% interval of diff: Welch t × standard error (none: not estimable)
  /// "beyond noise", "within noise", or why it cannot be told ("one seed: no spread").
  std::string verdict;
  bool beyond = false;
};

struct CompareResult {
  std::string path_a, path_b;
  std::vector<CompareRow> rows;
  std::vector<std::string> only_a, only_b;  ///< groups present in one database only
  int beyond = 0;
};

struct CompareOptions {
  std::string experiment;            ///< only runs of this experiment (empty: all)
  std::vector<std::string> metrics;  ///< only these metric names (empty: all but counts)
};

/// Groups the latest done run of each (label, dataset, bits, seed) of each database, matches
/// groups by (label, dataset, bits) and compares every metric both hold, seed sets may differ.
CompareResult compare_databases(const store::Store& a, const store::Store& b, const CompareOptions& options);

std::string compare_markdown(const CompareResult& r);
std::string compare_json(const CompareResult& r);

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom (df rounded down: wider).
double t_quantile_975(double df);

}  // namespace cmh::plots
