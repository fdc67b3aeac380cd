// What the training-step benchmarks (bench_*_step.cpp) share: the memory banks a step reads and
// writes, the thread setting per benchmark argument, parameter counts for the comparison with the
// Python twins (compare_step.sh), and a main that sets cmhbench's malloc tuning first.
#pragma once

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <functional>

#include "common/allocator.h"

namespace cmh::bench {

/// Labels (about 16 % of them on) and the F, G, B banks of `train` items, seeded as the twins seed theirs.
struct StepBanks {
  torch::Tensor labels, F, G, B;
  StepBanks(int64_t train, int64_t num_labels, int64_t bits) {
    torch::manual_seed(0);
    labels = (torch::rand({train, num_labels}) < 0.16).to(torch::kFloat32);
    F = torch::randn({train, bits});
    G = torch::randn({train, bits});
    B = torch::sign(F + G);
  }
};

/// The benchmark's argument is its thread count.
inline void set_threads(benchmark::State& state) { at::set_num_threads(static_cast<int>(state.range(0))); }

inline int64_t parameter_count(const std::vector<torch::Tensor>& params) {
  int64_t n = 0;
  for (const auto& p : params) n += p.numel();
  return n;
}

/// Tunes malloc as cmhbench does (CMHBENCH_MALLOC=default measures glibc's defaults instead),
/// prints what `print_params` prints ("params NAME COUNT" lines), then runs the benchmarks.
inline int run_step_benchmarks(int argc, char** argv, const std::function<void()>& print_params) {
  std::printf("allocator tuned: %s\n", cmh::tune_allocator() ? "yes" : "no");
  if (print_params) print_params();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace cmh::bench
