// LibTorch process settings behind a torch-free header: thread count, device parsing, versions.
#pragma once

#include <string>

namespace cmh {

/// Sets LibTorch's intra-op thread count (its default on these machines is 1); <= 0 → all cores.
/// Returns the count in force.
int set_torch_threads(int threads);

/// "cpu" or "cuda[:i]"; refuses unknown names and CUDA when this LibTorch has none.
std::string check_device(const std::string& device);

/// LibTorch's version string, e.g. "1.13.1".
std::string torch_version();

/// The CPU kernels LibTorch dispatches to ("default", "avx2", "avx512"; ATEN_CPU_CAPABILITY can
/// lower it): one of the things that fix a run's float order, recorded with every run.
std::string torch_cpu_capability();

}  // namespace cmh
