// The deep methods on a GPU, through the same checks as on the CPU: each learns, the same seed
// gives identical codes, and a resumed run gives the uninterrupted codes. Skipped, visibly, where
// LibTorch has no CUDA or sees no GPU (CI); run on a CUDA build (README, GPU section).
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <optional>

#include "methods/dcmh/dcmh.h"
#include "method_test_util.h"
#include "methods/mlsph/mlsph.h"
#include "methods/scahn/scahn.h"
#include "skip.h"

using namespace cmh;

namespace {

// As the CPU tests do: learning on feature images, the same seed and resume on pictures for SCAHN
// (so its convolutions and heads run on the GPU too), on feature images for the others.
void check_on_cuda(const MethodInfo& info, const test::ParamMap& small, int learn_bits, bool pictures) {
  if (!torch::cuda::is_available()) CMH_SKIP("this LibTorch was built without CUDA or sees no GPU");
  const test::SmallTask features;
  const auto maps = test::check_beats_random(*test::fit(info, features, small, learn_bits, 1, "cuda"), features,
                                             learn_bits);
  WARN(info.name << " on " << torch::Device("cuda") << ": i2t " << maps.i2t << " t2i " << maps.t2i);
  auto params = small;
  params["epochs"] = int64_t{3};
  std::optional<test::SmallTask> picture_task;
  if (pictures) picture_task.emplace(/*pixels=*/true, 400);
  test::check_same_seed_and_resume(info, picture_task ? *picture_task : features, params, 16, /*stop_after=*/1,
                                   "cuda");
}

}  // namespace

TEST_CASE("cuda: mlsph learns, repeats its codes and resumes exactly on the GPU", "[cuda]") {
  check_on_cuda(methods::mlsph_method_info(), test::kSmallMlsph, 16, /*pictures=*/false);
}

TEST_CASE("cuda: scahn learns, repeats its codes and resumes exactly on the GPU", "[cuda]") {
  check_on_cuda(methods::scahn_method_info(), test::kSmallScahn, 32, /*pictures=*/true);
}

TEST_CASE("cuda: dcmh learns, repeats its codes and resumes exactly on the GPU", "[cuda]") {
  check_on_cuda(methods::dcmh_method_info(), test::kSmallDcmh, 16, /*pictures=*/false);
}
