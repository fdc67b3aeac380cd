#include "cell_runner.h"

#include <chrono>
#include <optional>
#include <stdexcept>

#include "bit_scale.h"
#include "data/dataset.h"
#include "eval/metric_names.h"
#include "model_selection.h"

namespace cmh {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void collect(const std::string& dir, const eval::DirectionMetrics& m, CellResult& out) {
  for (auto& [name, v] : eval::metric::named_values(m)) out.metrics.push_back({dir, std::move(name), v});
  int i = 0;
  for (const auto& p : m.pr)  // x = recall, y = precision; index = Hamming radius
    out.curves.push_back({dir, eval::metric::kPrCurve, i++, p.recall, p.precision});
  i = 0;
  for (const auto& [n, v] : m.precision_at_n)
    out.curves.push_back({dir, eval::metric::kTopNCurve, i++, static_cast<double>(n), v});
}

}  // namespace

CellResult run_cell(const MethodInfo& info, const data::Dataset& dataset, const data::Split& split,
                    const eval::EvalConfig& eval, RunContext& ctx) {
  CellResult out;
  auto method = info.create();
  const auto all_labels =
      eval::PackedBits::labels(dataset.labels.data(), dataset.n, static_cast<int>(dataset.num_labels));
  const SelectionPlan plan = plan_selection(ctx.params, split);
  if (!plan.note.empty()) ctx.notes.push_back(plan.note);
  ctx.selection.rule = plan.rule;
  ctx.selection.score = selection_score(*method, dataset, plan, all_labels, ctx.threads);
  // The score refers to the method: cleared on every way out, before the method ends.
  struct ClearScore {
    ModelSelection& selection;
    ~ClearScore() { selection.score = nullptr; }
  } clear_score{ctx.selection};

  auto t = Clock::now();
  eval::CrossModalCodes codes;
  if (std::optional<SplitCodes> all = method->fit_and_encode(dataset, split, ctx)) {
    out.timings.train = seconds_since(t);  // learning and encoding in one (an external program)
    codes.query_image = std::move(all->query_image);
    codes.query_text = std::move(all->query_text);
    codes.database_image = std::move(all->database_image);
    codes.database_text = std::move(all->database_text);
  } else {
    method->fit(dataset, plan.fit_items, ctx);
    out.timings.train = seconds_since(t);
    t = Clock::now();
    codes.query_image = method->encode_image(dataset, split.query);
    codes.query_text = method->encode_text(dataset, split.query);
    DatabaseCodes retrieval = encode_database_codes(*method, dataset, split.database);
    codes.database_image = std::move(retrieval.image);
    codes.database_text = std::move(retrieval.text);
    out.timings.encode = seconds_since(t);
  }
  for (const auto* p : {&codes.query_image, &codes.query_text, &codes.database_image, &codes.database_text})
    if (p->bits() != ctx.bits)
      throw std::logic_error(info.name + " returned " + std::to_string(p->bits()) + "-bit codes for a " +
                             std::to_string(ctx.bits) + "-bit cell");

  t = Clock::now();
  codes.query_labels = all_labels.select(split.query);
  codes.database_labels = all_labels.select(split.database);
  eval::EvalConfig cfg = eval;
  cfg.threads = ctx.threads;
  const auto results = eval::evaluate_all(codes, cfg);
  out.timings.eval = seconds_since(t);
  for (const auto& [dir, m] : results) collect(dir, m, out);
  const std::vector<int> ranking = method->bit_ranking();
  if (!ranking.empty()) {
    bit_scale(codes, ranking, results, ctx.seed, ctx.threads, out.metrics, out.curves);
    ctx.notes.push_back("bit-scalable codes: bits kept by the " + method->bit_ranking_name());
  }
  out.map_i2t = results.at("i2t").map;
  out.map_t2i = results.at("t2i").map;
  return out;
}

}  // namespace cmh
