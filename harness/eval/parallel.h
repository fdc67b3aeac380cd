// A small parallel-for over index ranges with std::thread; torch-free and free of OpenMP so that
// the evaluation engine's thread count never interacts with LibTorch's.
#pragma once

#include <cstddef>
#include <functional>

namespace cmh::eval {

/// Calls body(begin, end) on disjoint chunks covering [0, n), on `threads` threads (<= 0: all
/// hardware threads). Chunks are handed out dynamically; callers write results per index, so
/// the outcome never depends on the thread count. The first exception thrown is rethrown.
void parallel_for(size_t n, int threads, size_t chunk,
                  const std::function<void(size_t begin, size_t end)>& body);

/// The hardware thread count (at least 1).
int hardware_threads();

}  // namespace cmh::eval
