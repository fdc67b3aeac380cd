// Retrieval metrics on packed codes, exactly as ../shared/design/PROTOCOL.md defines them:
// ranking by ascending Hamming distance, ties broken by database index (ascending), relevance =
// the two items share at least one label. Torch-free; parallel over queries; results do not
// depend on the thread count (per-query values are reduced in query order).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "eval/packed.h"

namespace cmh::eval {

/// The tie rule every report states.
inline constexpr const char* kTieRule = "ties in Hamming distance broken by database index, ascending";

struct EvalConfig {
  /// N values of the precision@N curve; empty → default_topn_grid(database size).
  std::vector<size_t> topn;
  /// R values of mAP@R and of the reference's map_at_k variant.
  std::vector<size_t> map_at = {50, 100, 500, 1000};
  bool curves = true;  ///< PR and P@N curves (mAP values are always computed)
  int threads = 0;     ///< <= 0: all hardware threads
};

/// Every 2% of the database, plus 100, 500, 1000, 2000, 5000 where they fit; sorted, unique.
std::vector<size_t> default_topn_grid(size_t database_size);

/// One point of the precision–recall curve by Hamming radius.
struct PrPoint {
  int radius = 0;
  double precision = 0;  ///< Σ hits / Σ retrieved over queries (0 when nothing is retrieved)
  double recall = 0;     ///< Σ hits / Σ relevant over queries
};

struct DirectionMetrics {
  size_t queries = 0, database = 0;
  size_t queries_without_relevant = 0;  ///< they score AP 0 and stay in the denominator
  double map = 0;                       ///< mAP@all
  /// mAP@R: AP over the top R, normalised by the relevant items within the top R.
  std::vector<std::pair<size_t, double>> map_at_r;
  /// The reference code's calc_map_k(k = R): the first min(R, #relevant) relevant items wherever
  /// they rank, normalised by min(R, #relevant).
  std::vector<std::pair<size_t, double>> map_at_k_reference;
  /// Mean over queries of precision within Hamming radius 2 (0 for a query retrieving nothing).
  double precision_radius2 = 0;
  std::vector<PrPoint> pr;                              ///< radius 0..bits
  std::vector<std::pair<size_t, double>> precision_at_n;  ///< N → mean precision of the top N
};

/// All metrics for one direction: queries against a database (codes of equal length).
DirectionMetrics evaluate(const PackedBits& query_codes, const PackedBits& database_codes,
                          const PackedBits& query_labels, const PackedBits& database_labels,
                          const EvalConfig& config = {});

/// mAP@all alone, on the fast path (no ranking is materialised); equal to evaluate(...).map.
double mean_average_precision(const PackedBits& query_codes, const PackedBits& database_codes,
                              const PackedBits& query_labels, const PackedBits& database_labels,
                              int threads = 0);

/// Codes of both modalities for the query and database sets, with their labels.
struct CrossModalCodes {
  PackedBits query_image, query_text, database_image, database_text;
  PackedBits query_labels, database_labels;
};

/// The four directions: "i2t", "t2i", "i2i", "t2t".
std::map<std::string, DirectionMetrics> evaluate_all(const CrossModalCodes& codes,
                                                     const EvalConfig& config = {});

}  // namespace cmh::eval
