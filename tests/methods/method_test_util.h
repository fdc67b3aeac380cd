// Shared by method tests: a small synthetic set, a split, training through the Method interface,
// mAP against random codes, and the learning / same-seed / resume checks every deep method passes
// on every device.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/allocator.h"
#include "tensor/torch_runtime.h"
#include "common/error.h"
#include "data/dataset.h"
#include "data/synthetic.h"
#include "eval/metrics.h"
#include "method.h"
#include "test_util.h"

namespace cmh::test {

/// The thread count the method tests train with: CMHBENCH_TEST_THREADS, default 1 (ctest runs two
/// tests at once on CI's two cores; more threads would oversubscribe them). Each count is another
/// float order, so running the tests under 1 and 2 threads (and under
/// ATEN_CPU_CAPABILITY=default|avx2) shows that their margins hold on any machine.
inline int test_threads() {
  static const int threads = [] {
    const char* v = std::getenv("CMHBENCH_TEST_THREADS");
    const int n = v && *v ? std::atoi(v) : 1;
    return set_torch_threads(n > 0 ? n : 1);
  }();
  return threads;
}

struct SmallTask {
  data::Dataset data;
  std::vector<int64_t> query, train, database;
  eval::PackedBits query_labels, database_labels;

  explicit SmallTask(bool pixels = false, size_t n = 600) {
    tune_allocator();  // as cmhbench: without it training steps page-fault (common/allocator.h)
    test_threads();
    data::SyntheticParams p;
    p.seed = 11;
    p.n = n;
    p.tag_dim = 200;
    p.image.dim = 64;
    if (pixels) {
      p.image.kind = data::SyntheticImageKind::kPixels;
      p.image.size = 32;
    }
    data = data::generate_synthetic(p);
    for (size_t i = 0; i < n; ++i) (i < n / 6 ? query : database).push_back(static_cast<int64_t>(i));
    train = database;
    const auto all = eval::PackedBits::labels(data.labels.data(), data.n, static_cast<int>(data.num_labels));
    query_labels = all.select(query);
    database_labels = all.select(database);
  }

  struct Maps {
    double i2t, t2i;
  };
  Maps evaluate(Method& m) const {
    return {eval::mean_average_precision(m.encode_image(data, query), m.encode_text(data, database), query_labels,
                                         database_labels, 2),
            eval::mean_average_precision(m.encode_text(data, query), m.encode_image(data, database), query_labels,
                                         database_labels, 2)};
  }
  /// mAP of seeded random codes of the same length: the floor a method must clearly beat.
  double random_map(int bits) const {
    std::mt19937 rng(5);
    auto random_codes = [&](size_t n) {
      std::vector<float> v(n * bits);
      for (auto& x : v) x = (rng() & 1) ? 1.f : -1.f;
      return eval::PackedBits::from_real(v.data(), n, bits);
    };
    return eval::mean_average_precision(random_codes(query.size()), random_codes(database.size()), query_labels,
                                        database_labels, 2);
  }
};

inline RunContext context(const MethodInfo& info, int bits, uint64_t seed,
                          const std::map<std::string, ParamValue>& overrides) {
  RunContext ctx;
  ctx.bits = bits;
  ctx.seed = seed;
  ctx.threads = test_threads();
  ctx.params = Params(info.name, info.params, overrides);
  return ctx;
}

using ParamMap = std::map<std::string, ParamValue>;

/// Settings each deep method learns with on SmallTask within seconds on a CPU.
inline const ParamMap kSmallMlsph = {
    {"epochs", int64_t{6}}, {"batch_size", int64_t{32}}, {"text_hidden", int64_t{256}}, {"lr_start", 0.05}};
// SCAHN's reference decay (10^-4.5 in all) squeezed into 6 epochs would leave almost no learning
// rate after the first two, so the small runs decay 10x in all.
inline const ParamMap kSmallScahn = {
    {"epochs", int64_t{6}}, {"batch_size", int64_t{32}}, {"lr", 0.1}, {"lr_decay", 0.1}};
// DCMH leaves its all-zero start slowly (linear outputs, heads drawn from N(0, 0.01), each modality
// learning from the other's bank), so it takes many small steps at a raised learning rate.
inline const ParamMap kSmallDcmh = {{"epochs", int64_t{15}},      {"batch_size", int64_t{4}},
                                    {"text_hidden", int64_t{256}}, {"lr_start", 0.3},
                                    {"lr_end", 0.03}};

/// A method fitted on `task`'s training items, on `device`.
inline std::unique_ptr<Method> fit(const MethodInfo& info, const SmallTask& task, const ParamMap& params, int bits,
                                   uint64_t seed, const std::string& device = "cpu") {
  auto ctx = context(info, bits, seed, params);
  ctx.device = device;
  auto m = info.create();
  m->fit(task.data, task.train, ctx);
  return m;
}

/// Both cross-modal mAPs of a fitted method above random codes of its length by `margin`. The
/// margins the tests pass were measured over seeds 1–5 under several float orders (threads 1 and 2,
/// ATEN_CPU_CAPABILITY default and native; 15 runs a method), min(i2t, t2i) − random: MLSPH
/// 0.094–0.136, SCAHN 0.083–0.144, DCMH 0.046–0.092. Each margin lies at least 3.5 SDs of that spread below its
/// method's mean, so the check holds on another machine; all are 10+ times the spread of random
/// codes' mAP (about 0.002).
inline SmallTask::Maps check_beats_random(Method& fitted, const SmallTask& task, int bits, double margin = 0.05) {
  const auto maps = task.evaluate(fitted);
  const double floor = task.random_map(bits);
  INFO("random " << floor << " i2t " << maps.i2t << " t2i " << maps.t2i << " (margin asked " << margin << ")");
  CHECK(maps.i2t > floor + margin);
  CHECK(maps.t2i > floor + margin);
  return maps;
}

inline bool same_codes(const eval::PackedBits& a, const eval::PackedBits& b) {
  if (a.size() != b.size() || a.bits() != b.bits()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    for (int w = 0; w < a.words(); ++w)
      if (a.row(i)[w] != b.row(i)[w]) return false;
  return true;
}

/// The same seed twice gives identical query codes in both modalities; training stopped after
/// `stop_after` epochs (Interrupted, checkpoint saved) and run again resumes: it trains exactly
/// the remaining epochs (a resume that ignored its checkpoint would train them all and, with the
/// same seed, reach the same codes, so the epochs are counted) and ends at the uninterrupted
/// codes. `params` should hold more epochs than `stop_after`.
inline void check_same_seed_and_resume(const MethodInfo& info, const SmallTask& task, const ParamMap& params,
                                       int bits, int stop_after, const std::string& device = "cpu") {
  struct Outcome {
    eval::PackedBits image, text;
    std::vector<int> epochs;  ///< the epoch numbers trained by this call
    std::vector<std::string> notes;
  };
  auto run = [&](const std::string& checkpoint_dir, int stop, Outcome& out) {
    auto ctx = context(info, bits, 7, params);
    ctx.device = device;
    ctx.checkpoint_dir = checkpoint_dir;
    out.epochs.clear();
    ctx.on_epoch = [&](const EpochLog& log) { out.epochs.push_back(log.epoch); };
    ctx.stop_requested = [&] { return stop > 0 && static_cast<int>(out.epochs.size()) >= stop; };
    auto m = info.create();
    m->fit(task.data, task.train, ctx);
    out.image = m->encode_image(task.data, task.query);
    out.text = m->encode_text(task.data, task.query);
    out.notes = ctx.notes;
  };
  Outcome a, b;
  run("", 0, a);
  run("", 0, b);
  CHECK(same_codes(a.image, b.image));
  CHECK(same_codes(a.text, b.text));
  const int total = static_cast<int>(a.epochs.size());
  REQUIRE(total > stop_after);

  TempDir dir;
  Outcome stopped, resumed;
  CHECK_THROWS_AS(run(dir.path.string(), stop_after, stopped), Interrupted);  // checkpoint saved at the stop
  CHECK(static_cast<int>(stopped.epochs.size()) == stop_after);
  run(dir.path.string(), 0, resumed);  // the remaining epochs
  std::vector<int> remaining;
  for (int e = stop_after + 1; e <= total; ++e) remaining.push_back(e);
  CHECK(resumed.epochs == remaining);
  bool noted = false;
  for (const auto& n : resumed.notes) noted |= n.find("resumed from the checkpoint after epoch " + std::to_string(stop_after)) != std::string::npos;
  CHECK(noted);
  CHECK(same_codes(a.image, resumed.image));
  CHECK(same_codes(a.text, resumed.text));
}

}  // namespace cmh::test
