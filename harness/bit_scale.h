// Bit-scalable evaluation (SCAHN): codes of k/2, k/4, … (down to 4) bits cut from one k-bit
// model by its bit ranking, beside the same numbers of bits drawn at random from the same codes,
// the comparison that says whether the ranking knows which bits matter. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "store/store.h"

namespace cmh {

/// Random subsets evaluated per kept length.
inline constexpr int kBitScaleRandomDraws = 10;

/// The k' = k/2, k/4, … ≥ 4 bit lengths a k-bit code is cut to.
std::vector<int> bit_scale_lengths(int bits);

/// `draws` subsets of `kept` of the bits 0 … bits−1, uniform without replacement, from a
/// generator seeded with `seed` (std::mt19937_64 and a Fisher–Yates of our own, so the draws are
/// the same with every standard library).
std::vector<std::vector<int>> random_bit_subsets(int bits, int kept, int draws, uint64_t seed);

/// Appends, for every k' of bit_scale_lengths: metrics "map@bits=K" (the ranking's first k' bits)
/// and "map@random_bits=K" (mean over kBitScaleRandomDraws random k'-subsets; i2t and t2i
/// only), and curves "bitscale" and "bitscale_random" (x = kept bits, y = mAP; both start at the
/// full code's mAP). `full_results` holds the full codes' metrics per direction.
void bit_scale(const eval::CrossModalCodes& full, const std::vector<int>& ranking,
               const std::map<std::string, eval::DirectionMetrics>& full_results, uint64_t seed, int threads,
               std::vector<store::Metric>& metrics, std::vector<store::CurvePoint>& curves);

}  // namespace cmh
