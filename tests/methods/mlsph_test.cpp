// MLSPH: similarity and loss by hand, learning on the synthetic set, determinism and resume.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "common/error.h"
#include "method_test_util.h"
#include "methods/mlsph/mlsph.h"
#include "methods/mlsph/mlsph_loss.h"
#include "test_util.h"

using namespace cmh;

TEST_CASE("mlsph: 2x Jaccard similarity on hand-made labels, unlabelled items score 0", "[mlsph]") {
  const auto a = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f, 0.f}).view({3, 3});
  const auto b = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f, 0.f, 0.f, 1.f, 1.f}).view({4, 3});
  const auto s = methods::jaccard2_similarity(a, b);
  const float expected[3][4] = {{2.f, 1.f, 0.f, 0.f},          // {A} vs {A}, {A,B}, {}, {B,C}
                                {1.f, 2.f, 0.f, 2.f / 3.f},    // {A,B}: ∩{B,C} = 1, ∪ = 3
                                {0.f, 0.f, 0.f, 0.f}};         // no labels: 0, never 0/0
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) CHECK(s[i][j].item<float>() == Approx(expected[i][j]));
  CHECK_FALSE(torch::isnan(s).any().item<bool>());
}

TEST_CASE("mlsph: the loss on a hand-checked case", "[mlsph]") {
  // Batch = item 0 ({A}); database items 0 ({A}) and 1 ({A,B}): S = [2, 1].
  const auto f = torch::tensor({0.6f, 0.8f}).view({1, 2});
  const auto batch_labels = torch::tensor({1.f, 0.f}).view({1, 2});
  const auto all_labels = torch::tensor({1.f, 0.f, 1.f, 1.f}).view({2, 2});
  const auto other = torch::tensor({1.f, 0.f, 0.f, 1.f}).view({2, 2});  // cos(f, G) = 0.6, 0.8
  const auto same = torch::tensor({0.6f, 0.8f, 0.f, 2.f}).view({2, 2}); // cos(f, F) = 1, 0.8
  const auto codes = torch::tensor({1.f, -1.f}).view({1, 2});
  const auto t = methods::mlsph_loss(f, batch_labels, all_labels, other, same, codes, {1.0, 1.4, 0.1, 10.0});
  CHECK(t.cross_value == Approx(((2 - 0.6) * (2 - 0.6) + (1 - 0.8) * (1 - 0.8)) / 2));  // 1.0
  CHECK(t.intra_value == Approx((1.0 + 0.04) / 2));                                     // 0.52
  CHECK(t.quant_value == Approx((0.16 + 3.24) / 2));                                    // 1.7
  CHECK(t.total_value == Approx(10 * (1.0 + 1.4 * 0.52 + 0.1 * 1.7)));                  // 18.98
}

TEST_CASE("mlsph learns: clearly above random codes in both cross-modal directions", "[mlsph]") {
  test::SmallTask task;
  const MethodInfo info = methods::mlsph_method_info();
  test::check_beats_random(*test::fit(info, task, test::kSmallMlsph, 16, 1), task, 16);
}

TEST_CASE("mlsph: the same seed gives identical codes, resume gives the uninterrupted codes", "[mlsph]") {
  test::SmallTask task;
  auto params = test::kSmallMlsph;
  params["epochs"] = int64_t{3};
  test::check_same_seed_and_resume(methods::mlsph_method_info(), task, params, 16, /*stop_after=*/1);
}

TEST_CASE("mlsph refuses bad parameters and mismatched image nets", "[mlsph]") {
  const MethodInfo info = methods::mlsph_method_info();
  CHECK_THROWS_AS(Params(info.name, info.params, {{"selection", std::string("best_test")}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"epochs", 2.5}}), InputError);
  test::SmallTask task;  // feature images
  auto ctx = test::context(info, 16, 1, {{"image_net", std::string("small_cnn")}, {"batch_size", int64_t{32}}});
  auto m = info.create();
  CHECK_THROWS_WITH(m->fit(task.data, task.train, ctx), Catch::Contains("small_cnn"));
}
