#include "eval/metric_names.h"

namespace cmh::eval::metric {

std::string map_at(size_t r) { return "map@" + std::to_string(r); }
std::string map_at_k_reference(size_t r) { return kMapAtKReferencePrefix + std::to_string(r); }
std::string map_at_bits(int kept) { return "map@bits=" + std::to_string(kept); }
std::string map_at_random_bits(int kept) { return "map@random_bits=" + std::to_string(kept); }

std::vector<std::pair<std::string, double>> named_values(const DirectionMetrics& m) {
  std::vector<std::pair<std::string, double>> out{{kMap, m.map}};
  for (const auto& [r, v] : m.map_at_r) out.emplace_back(map_at(r), v);
  for (const auto& [r, v] : m.map_at_k_reference) out.emplace_back(map_at_k_reference(r), v);
  out.emplace_back(kPrecisionRadius2, m.precision_radius2);
  out.emplace_back(kQueriesWithoutRelevant, static_cast<double>(m.queries_without_relevant));
  return out;
}

}  // namespace cmh::eval::metric
