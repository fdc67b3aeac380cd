// Bit-scalable evaluation: ranked and random bit subsets of one model's codes.
#include "bit_scale.h"

#include <numeric>
#include <random>
#include <stdexcept>
#include <utility>

#include "eval/metric_names.h"

namespace cmh {

std::vector<int> bit_scale_lengths(int bits) {
  std::vector<int> out;
  for (int kept = bits / 2; kept >= 4; kept /= 2) out.push_back(kept);
  return out;
}

std::vector<std::vector<int>> random_bit_subsets(int bits, int kept, int draws, uint64_t seed) {
  if (kept < 1 || kept > bits)
    throw std::logic_error("random_bit_subsets: cannot keep " + std::to_string(kept) + " of " + std::to_string(bits) + " bits");
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int>> out;
  for (int d = 0; d < draws; ++d) {
    std::vector<int> all(static_cast<size_t>(bits));
    std::iota(all.begin(), all.end(), 0);
    for (int i = bits - 1; i > 0; --i) std::swap(all[static_cast<size_t>(i)], all[rng() % static_cast<uint64_t>(i + 1)]);
    out.emplace_back(all.begin(), all.begin() + kept);
  }
  return out;
}

void bit_scale(const eval::CrossModalCodes& full, const std::vector<int>& ranking,
               const std::map<std::string, eval::DirectionMetrics>& full_results, uint64_t seed, int threads,
               std::vector<store::Metric>& metrics, std::vector<store::CurvePoint>& curves) {
  const int bits = full.query_image.bits();
  if (static_cast<int>(ranking.size()) != bits)
    throw std::logic_error("bit ranking of " + std::to_string(ranking.size()) + " bits for " + std::to_string(bits) + "-bit codes");
  // mAP of the codes cut to `order`: the cross-modal directions, and the within-modality ones too
  // when asked (the random subsets store only i2t and t2i).
  auto maps_of = [&](const std::vector<int>& order, bool within_modality) {
    const auto qi = full.query_image.keep_bits(order), qt = full.query_text.keep_bits(order);
    const auto di = full.database_image.keep_bits(order), dt = full.database_text.keep_bits(order);
    const auto& ql = full.query_labels;
    const auto& dl = full.database_labels;
    std::map<std::string, double> maps{{"i2t", eval::mean_average_precision(qi, dt, ql, dl, threads)},
                                       {"t2i", eval::mean_average_precision(qt, di, ql, dl, threads)}};
    if (within_modality) {
      maps["i2i"] = eval::mean_average_precision(qi, di, ql, dl, threads);
      maps["t2t"] = eval::mean_average_precision(qt, dt, ql, dl, threads);
    }
    return maps;
  };
  std::map<std::string, int> index, random_index;
  for (const auto& [dir, m] : full_results) {
    curves.push_back({dir, eval::metric::kBitScaleCurve, index[dir]++, double(bits), m.map});
    if (dir == "i2t" || dir == "t2i") curves.push_back({dir, eval::metric::kBitScaleRandomCurve, random_index[dir]++, double(bits), m.map});
  }
  for (int kept : bit_scale_lengths(bits)) {
    for (const auto& [dir, v] : maps_of(std::vector<int>(ranking.begin(), ranking.begin() + kept), true)) {
      metrics.push_back({dir, eval::metric::map_at_bits(kept), v});
      curves.push_back({dir, eval::metric::kBitScaleCurve, index[dir]++, double(kept), v});
    }
    // The same numbers of bits drawn at random: seeded by the cell's seed and the length, so a
    // re-run draws the same subsets.
    std::map<std::string, double> sum;
    const auto subsets = random_bit_subsets(bits, kept, kBitScaleRandomDraws, seed * 1000003u + static_cast<uint64_t>(kept));
    for (const auto& subset : subsets)
      for (const auto& [dir, v] : maps_of(subset, false)) sum[dir] += v;
    for (const auto& [dir, s] : sum) {
      const double mean = s / static_cast<double>(subsets.size());
      metrics.push_back({dir, eval::metric::map_at_random_bits(kept), mean});
      curves.push_back({dir, eval::metric::kBitScaleRandomCurve, random_index[dir]++, double(kept), mean});
    }
  }
}

}  // namespace cmh
