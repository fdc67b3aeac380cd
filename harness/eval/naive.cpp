// Naive evaluator: Hamming distance as (k − <q, d>) / 2 on ±1 floats, relevance as a label inner
// product > 0, ranking by std::stable_sort (ties keep database order), each metric its own loop.
#include "eval/naive.h"

#include <algorithm>
#include <numeric>

namespace cmh::eval {
namespace {

float dot(const float* a, const float* b, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

DirectionMetrics naive_evaluate(const DenseMatrix& qc, const DenseMatrix& dc, const DenseMatrix& ql,
                                const DenseMatrix& dl, const EvalConfig& config) {
  const size_t nq = qc.rows, n = dc.rows, bits = qc.cols;
  std::vector<size_t> topn = config.topn.empty() ? default_topn_grid(n) : config.topn;
  std::vector<size_t> at_r = config.map_at;
  std::sort(at_r.begin(), at_r.end());
  at_r.erase(std::unique(at_r.begin(), at_r.end()), at_r.end());

  DirectionMetrics m;
  m.queries = nq;
  m.database = n;
  std::vector<double> sum_r(at_r.size()), sum_k(at_r.size()), sum_n;
  std::vector<size_t> valid_n;
  for (size_t v : topn)
    if (v >= 1 && v <= n) valid_n.push_back(v);
  std::sort(valid_n.begin(), valid_n.end());
  valid_n.erase(std::unique(valid_n.begin(), valid_n.end()), valid_n.end());
  sum_n.assign(valid_n.size(), 0.0);
  std::vector<double> pr_hits(bits + 1), pr_ret(bits + 1);
  double all_rel = 0, sum_ap = 0, sum_r2 = 0;

  for (size_t q = 0; q < nq; ++q) {
    std::vector<float> dist(n);
    std::vector<bool> rel(n);
    for (size_t j = 0; j < n; ++j) {
      dist[j] = 0.5f * (static_cast<float>(bits) - dot(qc.row(q), dc.row(j), bits));
      rel[j] = dot(ql.row(q), dl.row(j), ql.cols) > 0.0f;
    }
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dist[a] < dist[b]; });

    std::vector<size_t> rel_ranks;  // 1-based ranks of relevant items
    for (size_t p = 0; p < n; ++p)
      if (rel[order[p]]) rel_ranks.push_back(p + 1);
    const size_t tsum = rel_ranks.size();
    all_rel += static_cast<double>(tsum);
    if (tsum == 0) ++m.queries_without_relevant;

    double ap = 0;
    for (size_t i = 0; i < tsum; ++i) ap += static_cast<double>(i + 1) / rel_ranks[i];
    sum_ap += tsum ? ap / tsum : 0.0;

    for (size_t k = 0; k < at_r.size(); ++k) {
      double s = 0;
      size_t cnt = 0;
      for (size_t i = 0; i < tsum && rel_ranks[i] <= at_r[k]; ++i, ++cnt)
        s += static_cast<double>(i + 1) / rel_ranks[i];
      sum_r[k] += cnt ? s / cnt : 0.0;
      const size_t total = std::min(at_r[k], tsum);
      double s2 = 0;
      for (size_t i = 0; i < total; ++i) s2 += static_cast<double>(i + 1) / rel_ranks[i];
      sum_k[k] += total ? s2 / total : 0.0;
    }
    for (size_t k = 0; k < valid_n.size(); ++k) {
      size_t h = 0;
      for (size_t p = 0; p < valid_n[k]; ++p) h += rel[order[p]];
      sum_n[k] += static_cast<double>(h) / valid_n[k];
    }
    for (size_t r = 0; r <= bits; ++r) {
      for (size_t j = 0; j < n; ++j) {
        if (dist[j] <= static_cast<float>(r)) {
          pr_ret[r] += 1;
          pr_hits[r] += rel[j];
        }
      }
    }
    size_t h2 = 0, r2 = 0;
    for (size_t j = 0; j < n; ++j)
      if (dist[j] <= 2.0f) {
        ++r2;
        h2 += rel[j];
      }
    sum_r2 += r2 ? static_cast<double>(h2) / r2 : 0.0;
  }
  m.map = sum_ap / nq;
  m.precision_radius2 = sum_r2 / nq;
  for (size_t k = 0; k < at_r.size(); ++k) {
    m.map_at_r.emplace_back(at_r[k], sum_r[k] / nq);
    m.map_at_k_reference.emplace_back(at_r[k], sum_k[k] / nq);
  }
  for (size_t k = 0; k < valid_n.size(); ++k) m.precision_at_n.emplace_back(valid_n[k], sum_n[k] / nq);
  if (config.curves)
    for (size_t r = 0; r <= bits; ++r)
      m.pr.push_back({static_cast<int>(r), pr_ret[r] ? pr_hits[r] / pr_ret[r] : 0.0,
                      all_rel ? pr_hits[r] / all_rel : 0.0});
  if (!config.curves) m.precision_at_n.clear();
  return m;
}

}  // namespace cmh::eval
