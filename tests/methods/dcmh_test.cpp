// DCMH: the loss by hand, learning on the synthetic set, determinism, resume, refusals, CNN-F shapes.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cmath>

#include "methods/dcmh/dcmh.h"
#include "methods/dcmh/dcmh_loss.h"
#include "common/error.h"
#include "method_test_util.h"
#include "methods/nets/cnnf.h"
#include "test_util.h"

using namespace cmh;

TEST_CASE("dcmh: shared-label similarity, unlabelled items are similar to nothing", "[dcmh]") {
  const auto a = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f, 0.f}).view({3, 3});  // {A}, {A,B}, {}
  const auto b = torch::tensor({1.f, 0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f}).view({3, 3});  // {A}, {B,C}, {}
  const auto s = methods::shared_label_similarity(a, b);
  const float expected[3][3] = {{1, 0, 0}, {1, 1, 0}, {0, 0, 0}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) CHECK(s[i][j].item<float>() == expected[i][j]);
}

TEST_CASE("dcmh: the loss on a hand-checked case", "[dcmh]") {
  // n = 2 training items, batch = item 0 ({A}); item 1 is {B}: S = [1, 0]. k = 2.
  const auto f = torch::tensor({1.f, -1.f}).view({1, 2});
  const auto batch_labels = torch::tensor({1.f, 0.f}).view({1, 2});
  const auto all_labels = torch::tensor({1.f, 0.f, 0.f, 1.f}).view({2, 2});
  const auto other = torch::tensor({2.f, 0.f, 0.f, 2.f}).view({2, 2});  // θ = ½ f Gᵀ = [1, −1]
  // Row 0 is the batch's own bank row: the balance term must use f there, not this [9, 9].
  const auto same = torch::tensor({9.f, 9.f, 0.5f, 0.5f}).view({2, 2});
  const auto codes = torch::tensor({1.f, 1.f}).view({1, 2});
  const auto pos = torch::tensor({int64_t{0}});
  // log  = [softplus(1) − 1·1] + [softplus(−1) − 0] = (ln(1+e) − 1) + ln(1+e⁻¹) = 2 ln(1+e⁻¹) = 0.626523
  // quant = ‖[1,1] − [1,−1]‖² = 0 + 4 = 4
  // balance = ‖f_0 + F_1‖² = ‖[1.5, −0.5]‖² = 2.25 + 0.25 = 2.5
  // each divided by n·bs = 2: log 0.313262, quant 2, balance 1.25
  const double log_term = 2 * std::log1p(std::exp(-1.0)) / 2;
  auto t = methods::dcmh_loss(f, batch_labels, all_labels, other, same, codes, pos, {1.0, 1.0});
  CHECK(t.log_value == Approx(log_term));
  CHECK(t.log_value == Approx(0.3132617).epsilon(1e-6));  // the value worked out by hand above
  CHECK(t.quant_value == Approx(2.0));
  CHECK(t.balance_value == Approx(1.25));
  CHECK(t.total_value == Approx(0.3132617 + 2.0 + 1.25));  // 3.563262
  t = methods::dcmh_loss(f, batch_labels, all_labels, other, same, codes, pos, {0.5, 2.0});
  CHECK(t.total_value == Approx(0.3132617 + 0.5 * 2.0 + 2.0 * 1.25));  // 3.813262

  // softplus keeps a huge θ finite where log(1 + e^θ) overflows: θ = ½·2000·1 = 1000, S = 1 → 0.
  const auto big = torch::tensor({2000.f, 0.f}).view({1, 2});
  const auto t2 = methods::dcmh_loss(big, batch_labels, all_labels.narrow(0, 0, 1), torch::tensor({1.f, 0.f}).view({1, 2}),
                                       torch::zeros({1, 2}), torch::zeros({1, 2}), pos, {0.0, 0.0});
  CHECK(std::isfinite(t2.total_value));
  CHECK(t2.log_value == Approx(0.0).margin(1e-3));
}

TEST_CASE("dcmh: CNN-F maps 224 px pictures to 4096 features and refuses tiny ones", "[dcmh]") {
  torch::manual_seed(0);
  nets::CnnF net;
  torch::NoGradGuard no_grad;
  const auto taps = net.stages(torch::randn({2, 3, 224, 224}));
  REQUIRE(taps.size() == 4);
  const auto dims = net.stage_dims();
  for (size_t i = 0; i < 4; ++i) CHECK(taps[i].sizes() == torch::IntArrayRef({2, dims[i]}));
  CHECK(net.stages(torch::randn({1, 3, nets::CnnF::kMinSize, nets::CnnF::kMinSize})).back().size(1) == 4096);
  CHECK_THROWS_AS(net.stages(torch::randn({1, 3, 32, 32})), InputError);
}

TEST_CASE("dcmh trains end to end on pictures with CNN-F and with the auto choice", "[dcmh]") {
  test::SmallTask task(true, 120);  // 32 px pictures
  const MethodInfo info = methods::dcmh_method_info();
  for (const std::string net : {"cnnf", "auto"}) {
    // CNN-F at its smallest input keeps this to seconds (224 px, the default, is for real data).
    auto ctx = test::context(info, 16, 3, {{"image_net", net}, {"image_size", int64_t{net == "cnnf" ? 64 : 0}},
                                           {"epochs", int64_t{1}}, {"batch_size", int64_t{50}},
                                           {"text_hidden", int64_t{64}}});
    auto m = info.create();
    m->fit(task.data, task.train, ctx);
    const auto codes = m->encode_image(task.data, task.query);
    CHECK(codes.size() == task.query.size());
    CHECK(codes.bits() == 16);
    if (net == "auto") CHECK(ctx.notes.at(0) == "dcmh: image_net auto -> small_cnn");
  }
  auto ctx = test::context(info, 16, 3,
                           {{"image_net", std::string("cnnf")}, {"image_size", int64_t{32}}, {"batch_size", int64_t{50}}});
  CHECK_THROWS_WITH(info.create()->fit(task.data, task.train, ctx), Catch::Contains("image_size >= 63"));
}

TEST_CASE("dcmh learns: clearly above random codes in both cross-modal directions", "[dcmh]") {
  test::SmallTask task;
  // DCMH's margin over random codes on this set is 0.046–0.092 across seeds and float orders
  // (mean 0.075, SD 0.013): 0.025 keeps 3.7 SDs of room (method_test_util.h).
  test::check_beats_random(*test::fit(methods::dcmh_method_info(), task, test::kSmallDcmh, 16, 1), task, 16, 0.025);
}

TEST_CASE("dcmh: the same seed gives identical codes, resume gives the uninterrupted codes", "[dcmh]") {
  test::SmallTask task;
  auto params = test::kSmallDcmh;
  params["epochs"] = int64_t{3};
  params["batch_size"] = int64_t{32};  // codes only need to be reproducible here, not good
  test::check_same_seed_and_resume(methods::dcmh_method_info(), task, params, 16, /*stop_after=*/1);
}

TEST_CASE("dcmh refuses bad parameters and mismatched image nets", "[dcmh]") {
  const MethodInfo info = methods::dcmh_method_info();
  CHECK_THROWS_AS(Params(info.name, info.params, {{"selection", std::string("best_test")}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"image_net", std::string("vgg16")}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"epochs", 2.5}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"tanh", true}}), InputError);
  test::SmallTask task;  // feature images
  auto fit = [&](const std::map<std::string, ParamValue>& overrides) {
    auto ctx = test::context(info, 16, 1, overrides);
    info.create()->fit(task.data, task.train, ctx);
  };
  CHECK_THROWS_WITH(fit({{"image_net", std::string("cnnf")}, {"batch_size", int64_t{32}}}), Catch::Contains("cnnf"));
  CHECK_THROWS_WITH(fit({{"batch_size", int64_t{1000}}}), Catch::Contains("batch_size"));
  CHECK_THROWS_WITH(fit({{"lr_end", 0.0}, {"batch_size", int64_t{32}}}), Catch::Contains("lr_end"));
  CHECK_THROWS_WITH(fit({{"epochs", int64_t{0}}}), Catch::Contains("epochs"));
  // A learning rate that blows the unbounded outputs up stops the run with a named error.
  CHECK_THROWS_WITH(fit({{"lr_start", 10.0}, {"epochs", int64_t{2}}, {"batch_size", int64_t{32}}}),
                    Catch::Contains("not finite"));
}
