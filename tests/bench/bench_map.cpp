// mAP@all at the MIRFLICKR-25K protocol size (2,000 queries × 18,015 database items, 24 labels):
// the packed counting-sort engine beside the naive evaluator, in one binary, so the ratio is
// measured under the same conditions. Run: build/tests/bench/bench_map --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>

#include "eval/metrics.h"
#include "eval/naive.h"

namespace {

using namespace cmh::eval;

constexpr size_t kQueries = 2000, kDatabase = 18015;
constexpr int kLabels = 24;

// Codes correlated with labels (like a trained model's) and ~3.8 labels per item.
struct Workload {
  DenseMatrix qc, dc, ql, dl;
  PackedBits pqc, pdc, pql, pdl;
  Workload(int bits, size_t nq) {
    std::mt19937 rng(2024);
    std::vector<std::vector<float>> proto(kLabels, std::vector<float>(bits));
    for (auto& p : proto)
      for (auto& v : p) v = (rng() & 1) ? 1.f : -1.f;
    auto fill = [&](DenseMatrix& c, DenseMatrix& l, size_t n) {
      c = {n, static_cast<size_t>(bits), std::vector<float>(n * bits)};
      l = {n, static_cast<size_t>(kLabels), std::vector<float>(n * kLabels, 0.f)};
      std::bernoulli_distribution extra(2.8 / kLabels), flip(0.3);
      for (size_t i = 0; i < n; ++i) {
        const int main = rng() % kLabels;
        l.values[i * kLabels + main] = 1.f;
        for (int k = 0; k < kLabels; ++k)
          if (extra(rng)) l.values[i * kLabels + k] = 1.f;
        for (int b = 0; b < bits; ++b)
          c.values[i * bits + b] = flip(rng) ? ((rng() & 1) ? 1.f : -1.f) : proto[main][b];
      }
    };
    fill(qc, ql, nq);
    fill(dc, dl, kDatabase);
    std::vector<uint8_t> b;
    auto pack_labels = [&](const DenseMatrix& m) {
      b.assign(m.values.size(), 0);
      for (size_t i = 0; i < b.size(); ++i) b[i] = m.values[i] > 0;
      return PackedBits::labels(b.data(), m.rows, kLabels);
    };
    pqc = PackedBits::from_real(qc.values.data(), qc.rows, bits);
    pdc = PackedBits::from_real(dc.values.data(), dc.rows, bits);
    pql = pack_labels(ql);
    pdl = pack_labels(dl);
  }
};

const Workload& workload(int bits, size_t nq) {
  static std::map<std::pair<int, size_t>, Workload> cache;
  auto it = cache.find({bits, nq});
  if (it == cache.end()) it = cache.emplace(std::make_pair(bits, nq), Workload(bits, nq)).first;
  return it->second;
}

// The engine's mAP@all fast path, on `threads` threads (range(1)).
void BM_map_packed(benchmark::State& state) {
  const Workload& w = workload(static_cast<int>(state.range(0)), kQueries);
  double map = 0;
  for (auto _ : state) benchmark::DoNotOptimize(map = mean_average_precision(w.pqc, w.pdc, w.pql, w.pdl, static_cast<int>(state.range(1))));
  state.counters["mAP"] = map;
  state.counters["queries/s"] = benchmark::Counter(kQueries, benchmark::Counter::kIsIterationInvariantRate);
}

// Every metric and curve (ranking materialised by counting sort).
void BM_all_metrics_packed(benchmark::State& state) {
  const Workload& w = workload(static_cast<int>(state.range(0)), kQueries);
  EvalConfig cfg;
  cfg.threads = static_cast<int>(state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(w.pqc, w.pdc, w.pql, w.pdl, cfg));
  state.counters["queries/s"] = benchmark::Counter(kQueries, benchmark::Counter::kIsIterationInvariantRate);
}

// The naive evaluator on 100 queries (the full 2,000 take minutes); compare queries/s.
void BM_map_naive(benchmark::State& state) {
  constexpr size_t kNaiveQueries = 100;
  const Workload& w = workload(static_cast<int>(state.range(0)), kNaiveQueries);
  EvalConfig cfg;
  cfg.curves = false;
  cfg.map_at = {};
  for (auto _ : state) benchmark::DoNotOptimize(naive_evaluate(w.qc, w.dc, w.ql, w.dl, cfg));
  state.counters["queries/s"] = benchmark::Counter(kNaiveQueries, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_map_packed)->ArgsProduct({{16, 32, 64, 128}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_all_metrics_packed)->ArgsProduct({{64}, {2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_map_naive)->Arg(64)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
