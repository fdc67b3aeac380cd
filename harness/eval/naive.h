// A deliberately plain evaluator (float inner products, std::stable_sort, one loop per metric)
// written independently of the fast path; tests and benchmarks compare the engine against it.
#pragma once

#include <cstddef>
#include <vector>

#include "eval/metrics.h"

namespace cmh::eval {

/// Row-major [rows, cols] float matrix: codes in {−1,+1}, labels in {0,1}.
struct DenseMatrix {
  size_t rows = 0, cols = 0;
  std::vector<float> values;
  const float* row(size_t i) const { return values.data() + i * cols; }
};

/// The same metrics as evaluate(), computed the slow, obvious way on one thread.
DirectionMetrics naive_evaluate(const DenseMatrix& query_codes, const DenseMatrix& database_codes,
                                const DenseMatrix& query_labels, const DenseMatrix& database_labels,
                                const EvalConfig& config = {});

}  // namespace cmh::eval
