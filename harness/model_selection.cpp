#include "model_selection.h"

#include <algorithm>
#include <variant>

#include "common/error.h"
#include "data/dataset.h"
#include "eval/metrics.h"
#include "method.h"

namespace cmh {

std::string selection_rule(const Params& params) {
  auto it = params.values().find("selection");
  return it == params.values().end() ? selection_rule_name::kFinal : std::get<std::string>(it->second);
}

SelectionPlan plan_selection(const Params& params, const data::Split& split) {
  SelectionPlan plan;
  plan.rule = selection_rule(params);
  plan.fit_items = split.train;
  if (plan.rule == selection_rule_name::kBestQuery) {
    plan.query = split.query;
    plan.database = split.database;
    plan.note = "selection best_query: the epoch is chosen on the query (test) set, as the reference code does; "
                "results are optimistic";
  } else if (plan.rule == selection_rule_name::kBestVal) {
    const double frac = params.real("val_fraction");
    const size_t train = plan.fit_items.size();
    const size_t held = std::max<size_t>(1, static_cast<size_t>(frac * static_cast<double>(train)));
    if (!(frac > 0 && frac < 1) || held >= train)
      throw InputError("val_fraction must lie in (0, 1) and leave training items");
    plan.query.assign(plan.fit_items.end() - static_cast<std::ptrdiff_t>(held), plan.fit_items.end());
    plan.fit_items.resize(train - held);
    plan.database = plan.fit_items;
    plan.note = "selection best_val: " + std::to_string(held) + " training items held out for validation";
  }
  return plan;
}

std::function<double()> selection_score(Method& method, const data::Dataset& dataset, const SelectionPlan& plan,
                                        const eval::PackedBits& all_labels, int threads) {
  if (plan.query.empty()) return {};
  const auto ql = all_labels.select(plan.query), dl = all_labels.select(plan.database);
  return [&method, &dataset, query = plan.query, database = plan.database, ql, dl, threads] {
    const DatabaseCodes retrieval = encode_database_codes(method, dataset, database);
    const double i2t = eval::mean_average_precision(method.encode_image(dataset, query), retrieval.text, ql, dl, threads);
    const double t2i = eval::mean_average_precision(method.encode_text(dataset, query), retrieval.image, ql, dl, threads);
    return 0.5 * (i2t + t2i);
  };
}

}  // namespace cmh
