// One cell apart from the grid: model selection, fit, encode, evaluate, and the result as the
// store keeps it. Nothing here opens a store, takes a lock or prints: run_experiment does that
// around it, and a test or a tool can run a cell alone. Torch-free header.
#pragma once

#include <vector>

#include "eval/metrics.h"
#include "method.h"
#include "store/store.h"

namespace cmh {

struct CellResult {
  std::vector<store::Metric> metrics;     ///< every direction's metrics (eval/metric_names.h)
  std::vector<store::CurvePoint> curves;  ///< PR, precision@N and, for bit-scalable codes, bitscale
  store::Timings timings;                 ///< train, encode and eval (load is the caller's)
  double map_i2t = 0, map_t2i = 0;        ///< the two numbers a progress line shows
};

/// Runs `info`'s method on `split` of `dataset` with the settings in `ctx` (bits, seed, threads,
/// params, callbacks, folders): plans model selection (model_selection.h) into ctx.selection,
/// then fit and encode (or fit_and_encode), checks the code lengths, evaluates the four
/// directions with `eval` and, for bit-scalable methods, the bit subsets. The notes and
/// provenance the run gathers are left in ctx. Throws what the method throws.
CellResult run_cell(const MethodInfo& info, const data::Dataset& dataset, const data::Split& split,
                    const eval::EvalConfig& eval, RunContext& ctx);

}  // namespace cmh
