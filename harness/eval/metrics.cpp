// Counting-sort ranking: Hamming distances take bits+1 values, so a query's ranking is a bucket
// sort by distance that visits the database in index order — O(N) per query and stable, which
// is exactly the protocol's tie rule. No comparison sort anywhere.
#include "eval/metrics.h"

#include <algorithm>
#include <string>

#include "common/error.h"
#include "eval/parallel.h"

namespace cmh::eval {
namespace {

constexpr size_t kQueryChunk = 8;

void check_inputs(const PackedBits& qc, const PackedBits& dc, const PackedBits& ql,
                  const PackedBits& dl) {
  const std::string origin = "eval: ";
  if (qc.bits() != dc.bits())
    throw InputError(origin + "query codes have " + std::to_string(qc.bits()) +
                     " bits but database codes " + std::to_string(dc.bits()) +
                     "; both must come from the same model");
  if (ql.bits() != dl.bits())
    throw InputError(origin + "query labels have " + std::to_string(ql.bits()) +
                     " classes but database labels " + std::to_string(dl.bits()));
  if (qc.size() != ql.size())
    throw InputError(origin + std::to_string(qc.size()) + " query codes but " +
                     std::to_string(ql.size()) + " query label rows; they must match row for row");
  if (dc.size() != dl.size())
    throw InputError(origin + std::to_string(dc.size()) + " database codes but " +
                     std::to_string(dl.size()) +
                     " database label rows; they must match row for row");
  if (qc.size() == 0 || dc.size() == 0)
    throw InputError(origin + "empty query or database set");
}

// One query's pass over the database: distance and relevance packed as key = 2·d + rel, and a
// histogram over keys (one increment per item; the per-distance totals follow from it).
// Templated on the word counts so the common 1-word cases unroll.
template <int CW, int LW>
void distances(const PackedBits& dc, const PackedBits& dl, const uint64_t* q, const uint64_t* l,
               uint16_t* key, uint32_t* histogram) {
  const int cw = CW ? CW : dc.words();
  const int lw = LW ? LW : dl.words();
  const size_t n = dc.size();
  const uint64_t* dcode = dc.row(0);
  const uint64_t* dlab = dl.row(0);
  for (size_t j = 0; j < n; ++j) {
    const unsigned d = static_cast<unsigned>(hamming(q, dcode + j * cw, cw));
    const unsigned r = share_label(l, dlab + j * lw, lw) ? 1u : 0u;
    const unsigned k = 2 * d + r;
    key[j] = static_cast<uint16_t>(k);
    ++histogram[k];
  }
}

using DistanceFn = void (*)(const PackedBits&, const PackedBits&, const uint64_t*, const uint64_t*,
                            uint16_t*, uint32_t*);

DistanceFn pick_distance(int code_words, int label_words) {
  if (label_words == 1) {
    if (code_words == 1) return distances<1, 1>;
    if (code_words == 2) return distances<2, 1>;
    return distances<0, 1>;
  }
  if (code_words == 1) return distances<1, 0>;
  return distances<0, 0>;
}

// Per-thread scratch space for one query.
struct Scratch {
  std::vector<uint16_t> key;        // [n] 2·distance + relevance, database order
  std::vector<uint32_t> histogram;  // [2·(bits+1)] items per key
  std::vector<uint32_t> count, rel_count, offset;  // [bits+1] per distance
  std::vector<uint8_t> ranked_rel;  // [n] relevance in rank order
  Scratch(size_t n, int bits)
      : key(n), histogram(2 * (bits + 1)), count(bits + 1), rel_count(bits + 1), offset(bits + 1),
        ranked_rel(n) {}
  void clear() { std::fill(histogram.begin(), histogram.end(), 0); }
  void totals() {  // per-distance counts from the key histogram
    for (size_t d = 0; d < count.size(); ++d) {
      rel_count[d] = histogram[2 * d + 1];
      count[d] = histogram[2 * d] + rel_count[d];
    }
  }
};

// 1/rank for rank 1..n, so the AP loop multiplies instead of dividing.
std::vector<double> reciprocals(size_t n) {
  std::vector<double> inv(n + 1, 0.0);
  for (size_t i = 1; i <= n; ++i) inv[i] = 1.0 / static_cast<double>(i);
  return inv;
}

// AP@all without materialising the ranking. Visiting the database in index order, the item j at
// distance d has rank (items closer than d) + (items at d up to j), and that many relevant items
// at or above it: two running counters per distance give both. Branch-free: an irrelevant item
// adds 0·(hits/rank), because relevance is a coin flip the branch predictor cannot learn.
double average_precision_fast(Scratch& s, size_t n, int bits, const double* inv_rank) {
  uint32_t items = 0, hits = 0;
  uint32_t* rank_at = s.count.data();  // reused: running rank per distance
  uint32_t* hits_at = s.rel_count.data();  // reused: running hit count per distance
  for (int d = 0; d <= bits; ++d) {
    const uint32_t rel = s.histogram[2 * d + 1], all = s.histogram[2 * d] + rel;
    rank_at[d] = items;
    hits_at[d] = hits;
    items += all;
    hits += rel;
  }
  if (hits == 0) return 0.0;
  double sum = 0.0;
  const uint16_t* key = s.key.data();
  for (size_t j = 0; j < n; ++j) {
    const unsigned k = key[j], d = k >> 1, r = k & 1u;
    const uint32_t rank = ++rank_at[d];
    const uint32_t h = (hits_at[d] += r);
    sum += static_cast<double>(h * r) * inv_rank[rank];
  }
  return sum / hits;
}

}  // namespace

std::vector<size_t> default_topn_grid(size_t db) {
  std::vector<size_t> grid;
  for (int pct = 2; pct <= 100; pct += 2) {
    const size_t v = (db * pct + 50) / 100;
    if (v >= 1) grid.push_back(v);
  }
  for (size_t v : {100, 500, 1000, 2000, 5000})
    if (v <= db) grid.push_back(v);
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

}  // namespace cmh::eval

namespace cmh::eval {

double mean_average_precision(const PackedBits& qc, const PackedBits& dc, const PackedBits& ql,
                              const PackedBits& dl, int threads) {
  check_inputs(qc, dc, ql, dl);
  const DistanceFn dist = pick_distance(dc.words(), dl.words());
  std::vector<double> ap(qc.size());
  const std::vector<double> inv_rank = reciprocals(dc.size());
  parallel_for(qc.size(), threads, kQueryChunk, [&](size_t begin, size_t end) {
    Scratch s(dc.size(), dc.bits());
    for (size_t q = begin; q < end; ++q) {
      s.clear();
      dist(dc, dl, qc.row(q), ql.row(q), s.key.data(), s.histogram.data());
      ap[q] = average_precision_fast(s, dc.size(), dc.bits(), inv_rank.data());
    }
  });
  double sum = 0.0;
  for (double v : ap) sum += v;  // in query order: independent of the thread count
  return sum / static_cast<double>(qc.size());
}

DirectionMetrics evaluate(const PackedBits& qc, const PackedBits& dc, const PackedBits& ql,
                          const PackedBits& dl, const EvalConfig& config) {
  check_inputs(qc, dc, ql, dl);
  const size_t nq = qc.size(), n = dc.size();
  const int bits = dc.bits();
  const size_t radii = static_cast<size_t>(bits) + 1;

  std::vector<size_t> at_r = config.map_at;
  std::sort(at_r.begin(), at_r.end());
  at_r.erase(std::unique(at_r.begin(), at_r.end()), at_r.end());
  at_r.erase(std::remove(at_r.begin(), at_r.end(), size_t{0}), at_r.end());
  std::vector<size_t> topn;
  if (config.curves) {
    topn = config.topn.empty() ? default_topn_grid(n) : config.topn;
    std::sort(topn.begin(), topn.end());
    topn.erase(std::unique(topn.begin(), topn.end()), topn.end());
    topn.erase(std::remove_if(topn.begin(), topn.end(), [&](size_t v) { return v == 0 || v > n; }),
               topn.end());
  }
  const size_t nr = at_r.size(), nn = topn.size();

  // Per-query results, reduced in query order below so that the thread count never matters.
  std::vector<double> ap(nq), ap_r(nq * nr), ap_kref(nq * nr), p_n(nq * nn), p_r2(nq);
  std::vector<uint32_t> total_rel(nq);
  std::vector<uint64_t> pr_hits(config.curves ? nq * radii : 0), pr_ret(config.curves ? nq * radii : 0);

  const DistanceFn dist = pick_distance(dc.words(), dl.words());
  parallel_for(nq, config.threads, kQueryChunk, [&](size_t begin, size_t end) {
    Scratch s(n, bits);
    std::vector<double> kref_done(nr);  // AP of the reference's map_at_k, once reached
    for (size_t q = begin; q < end; ++q) {
      s.clear();
      dist(dc, dl, qc.row(q), ql.row(q), s.key.data(), s.histogram.data());
      s.totals();

      // Cumulative counts by radius: the PR curve and precision within radius 2.
      uint64_t ret = 0, hit = 0;
      uint32_t offset = 0;
      for (size_t d = 0; d < radii; ++d) {
        ret += s.count[d];
        hit += s.rel_count[d];
        if (config.curves) {
          pr_hits[q * radii + d] = hit;
          pr_ret[q * radii + d] = ret;
        }
        if (d == 2 || (d < 2 && d + 1 == radii))
          p_r2[q] = ret ? static_cast<double>(hit) / static_cast<double>(ret) : 0.0;
        s.offset[d] = offset;
        offset += s.count[d];
      }
      total_rel[q] = static_cast<uint32_t>(hit);

      // Counting sort: relevance in rank order (stable, so ties keep database-index order).
      for (size_t j = 0; j < n; ++j) {
        const unsigned key = s.key[j];
        s.ranked_rel[s.offset[key >> 1]++] = static_cast<uint8_t>(key & 1u);
      }

      // One walk down the ranking gives every prefix statistic.
      const uint32_t tsum = total_rel[q];
      double sum = 0.0;
      uint32_t hits = 0;
      size_t ri = 0, ni = 0;
      std::fill(kref_done.begin(), kref_done.end(), -1.0);
      for (size_t p = 1; p <= n; ++p) {
        if (s.ranked_rel[p - 1]) {
          ++hits;
          sum += static_cast<double>(hits) / static_cast<double>(p);
          for (size_t k = 0; k < nr; ++k)
            if (kref_done[k] < 0 && hits == std::min<size_t>(at_r[k], tsum))
              kref_done[k] = sum / static_cast<double>(hits);
        }
        while (ri < nr && at_r[ri] == p) {
          ap_r[q * nr + ri] = hits ? sum / hits : 0.0;
          ++ri;
        }
        while (ni < nn && topn[ni] == p) {
          p_n[q * nn + ni] = static_cast<double>(hits) / static_cast<double>(p);
          ++ni;
        }
      }
      for (; ri < nr; ++ri) ap_r[q * nr + ri] = hits ? sum / hits : 0.0;  // R beyond the database
      for (size_t k = 0; k < nr; ++k) ap_kref[q * nr + k] = kref_done[k] < 0 ? 0.0 : kref_done[k];
      ap[q] = tsum ? sum / tsum : 0.0;
    }
  });

  DirectionMetrics m;
  m.queries = nq;
  m.database = n;
  const double inv_q = 1.0 / static_cast<double>(nq);
  double sum_ap = 0.0, sum_r2 = 0.0;
  std::vector<double> sum_r(nr, 0.0), sum_k(nr, 0.0), sum_n(nn, 0.0);
  uint64_t all_rel = 0;
  for (size_t q = 0; q < nq; ++q) {
    sum_ap += ap[q];
    sum_r2 += p_r2[q];
    for (size_t k = 0; k < nr; ++k) {
      sum_r[k] += ap_r[q * nr + k];
      sum_k[k] += ap_kref[q * nr + k];
    }
    for (size_t k = 0; k < nn; ++k) sum_n[k] += p_n[q * nn + k];
    all_rel += total_rel[q];
    if (total_rel[q] == 0) ++m.queries_without_relevant;
  }
  m.map = sum_ap * inv_q;
  m.precision_radius2 = sum_r2 * inv_q;
  for (size_t k = 0; k < nr; ++k) {
    m.map_at_r.emplace_back(at_r[k], sum_r[k] * inv_q);
    m.map_at_k_reference.emplace_back(at_r[k], sum_k[k] * inv_q);
  }
  for (size_t k = 0; k < nn; ++k) m.precision_at_n.emplace_back(topn[k], sum_n[k] * inv_q);
  if (config.curves) {
    for (size_t d = 0; d < radii; ++d) {
      uint64_t h = 0, r = 0;
      for (size_t q = 0; q < nq; ++q) {
        h += pr_hits[q * radii + d];
        r += pr_ret[q * radii + d];
      }
      PrPoint pt;
      pt.radius = static_cast<int>(d);
      pt.precision = r ? static_cast<double>(h) / static_cast<double>(r) : 0.0;
      pt.recall = all_rel ? static_cast<double>(h) / static_cast<double>(all_rel) : 0.0;
      m.pr.push_back(pt);
    }
  }
  return m;
}

std::map<std::string, DirectionMetrics> evaluate_all(const CrossModalCodes& c,
                                                     const EvalConfig& config) {
  std::map<std::string, DirectionMetrics> out;
  out["i2t"] = evaluate(c.query_image, c.database_text, c.query_labels, c.database_labels, config);
  out["t2i"] = evaluate(c.query_text, c.database_image, c.query_labels, c.database_labels, config);
  out["i2i"] = evaluate(c.query_image, c.database_image, c.query_labels, c.database_labels, config);
  out["t2t"] = evaluate(c.query_text, c.database_text, c.query_labels, c.database_labels, config);
  return out;
}

}  // namespace cmh::eval
