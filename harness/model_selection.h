// Model selection, a part of every cell's run: which epoch's model a method keeps, which training
// items it learns from, and on which items the runner scores its codes. The rule is a deep
// method's `selection` parameter; every other method's is "final". Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/packed.h"

namespace cmh {

class Method;
class Params;
namespace data {
struct Dataset;
struct Split;
}  // namespace data

namespace selection_rule_name {
inline constexpr const char* kFinal = "final";           ///< the last epoch's model
inline constexpr const char* kBestQuery = "best_query";  ///< best on the query (test) set: optimistic
inline constexpr const char* kBestVal = "best_val";      ///< best on items held out of training
}  // namespace selection_rule_name

/// The cell's rule: its parameters' `selection`, or "final" for a method that has none.
std::string selection_rule(const Params& params);

/// true when `rule` chooses on the test set, which every table showing such a run must say.
inline bool selection_peeks_at_test(const std::string& rule) { return rule == selection_rule_name::kBestQuery; }

struct SelectionPlan {
  std::string rule = selection_rule_name::kFinal;
  std::vector<int64_t> fit_items;        ///< what the method learns from
  std::vector<int64_t> query, database;  ///< what an epoch's codes are scored on (empty for "final")
  std::string note;                      ///< what every result of the cell must say ("" for "final")
};

/// The plan for a cell: best_val holds out the last `val_fraction` of the training items.
/// Throws InputError for a val_fraction that leaves no validation or no training item.
SelectionPlan plan_selection(const Params& params, const data::Split& split);

/// The score a plan gives a method's current codes: the mean of i→t and t→i mAP@all on the plan's
/// query and database items. Empty for "final". `method` must outlive the returned function.
std::function<double()> selection_score(Method& method, const data::Dataset& dataset, const SelectionPlan& plan,
                                        const eval::PackedBits& all_labels, int threads);

}  // namespace cmh
