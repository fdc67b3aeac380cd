// The names of the metrics, one naming for the store, `eval --json`, `check`, `compare` and the
// reports: "map", "map@R", "map_at_k_reference@R", "p@r2", "queries_without_relevant",
// "map@bits=K", "map@random_bits=K"; curves "pr", "topn", "bitscale", "bitscale_random". Reference files (results/reference/*.csv) and stores
// written before hold these names, so they are part of the format. Torch-free.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "eval/metrics.h"

namespace cmh::eval::metric {

inline constexpr const char* kMap = "map";                                    ///< mAP@all
inline constexpr const char* kPrecisionRadius2 = "p@r2";                      ///< precision within radius 2
inline constexpr const char* kQueriesWithoutRelevant = "queries_without_relevant";  ///< a count
/// What map_at_k_reference(R) starts with: the reference code's own (looser) mAP@R, stored for
/// comparison with published numbers, never gated by `check`.
inline constexpr const char* kMapAtKReferencePrefix = "map_at_k_reference@";

// Curves (the store's curves.kind): precision–recall by Hamming radius, precision of the top N,
// and mAP against the number of bits kept (bit-scalable methods).
inline constexpr const char* kPrCurve = "pr";
inline constexpr const char* kTopNCurve = "topn";
inline constexpr const char* kBitScaleCurve = "bitscale";
inline constexpr const char* kBitScaleRandomCurve = "bitscale_random";

std::string map_at(size_t r);              ///< "map@R"
std::string map_at_k_reference(size_t r);  ///< "map_at_k_reference@R" (the reference code's calc_map_k)
std::string map_at_bits(int kept);         ///< "map@bits=K": the ranking's first K bits
std::string map_at_random_bits(int kept);  ///< "map@random_bits=K": mean over random K-subsets

/// Every single-number metric of one direction under its name, in a fixed order (curves aside).
std::vector<std::pair<std::string, double>> named_values(const DirectionMetrics& m);

}  // namespace cmh::eval::metric
