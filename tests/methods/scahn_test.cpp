// SCAHN: fusion and bit ranking on hand-made weights, the loss terms on a tiny case, learning,
// bit-scalable codes that beat random bit subsets, determinism and resume.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "common/error.h"
#include "method_test_util.h"
#include "methods/common/pairwise_nll.h"
#include "methods/scahn/scahn.h"
#include "methods/scahn/scahn_loss.h"
#include "methods/scahn/scahn_nets.h"
#include "methods/scahn/scahn_step.h"
#include "test_util.h"

using namespace cmh;

TEST_CASE("scahn: attention fusion is the weighted sum of the stage codes", "[scahn]") {
  methods::AttentionFusion fusion(2);
  {
    torch::NoGradGuard no_grad;
    fusion->weight.copy_(torch::tensor({1.f, 0.f, 0.5f, 1.f, 0.f, 2.f, 0.25f, -1.f}).view({4, 2}));
  }
  std::vector<torch::Tensor> h = {torch::tensor({{1.f, 1.f}}), torch::tensor({{2.f, -1.f}}),
                                  torch::tensor({{3.f, 1.f}}), torch::tensor({{4.f, 0.5f}})};
  const auto out = fusion(h);
  // bit 0: 1·1 + 0.5·2 + 0·3 + 0.25·4 = 3; bit 1: 0·1 + 1·(−1) + 2·1 + (−1)·0.5 = 0.5
  CHECK(out[0][0].item<float>() == Approx(3.0));
  CHECK(out[0][1].item<float>() == Approx(0.5));
  // Initialisation: N(0.25, 1/k).
  methods::AttentionFusion wide(512);
  CHECK(wide->weight.mean().item<float>() == Approx(0.25).margin(0.01));
  CHECK(wide->weight.std().item<float>() == Approx(1.0 / 512).epsilon(0.1));
}

TEST_CASE("scahn: bit ranking by the summed attention weights, and the reference's two rankings", "[scahn]") {
  // Scores per bit (sum over stages of both sides): bit0 = 1, bit1 = 3, bit2 = 2, bit3 = 0.
  const auto wi = torch::tensor({0.5f, 1.f, 0.5f, 0.f, 0.f, 0.5f, 0.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}).view({4, 4});
  const auto wt = torch::tensor({0.5f, 1.f, 1.f, 0.f, 0.f, 0.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}).view({4, 4});
  CHECK(methods::scahn_bit_ranking(wi, wt, "intended") == std::vector<int>{1, 2, 0, 3});
  CHECK(methods::scahn_bit_ranking(wi, wt, "reference_lowest") == std::vector<int>{3, 0, 2, 1});
  CHECK_THROWS_AS(methods::scahn_bit_ranking(wi, wt, "best"), InputError);
  // The SCAHN repository's get_rank: softmax over the stages, summed (2 per bit up to rounding),
  // sorted ascending, the LAST k' kept. Equal weights make every softmax exactly 1/4, so all four
  // tie and a stable sort keeps the highest indices: the first 2 kept bits are 3 and 2.
  const auto equal = torch::full({4, 4}, 0.3f);
  CHECK(methods::scahn_bit_ranking(equal, equal, "reference_softmax") == std::vector<int>{3, 2, 1, 0});
  // Where rounding separates the sums, the largest sum is kept first.
  auto skewed = equal.clone();
  skewed[0][1] = 50.f;  // softmax of column 1 is (1, 0, 0, 0) up to underflow: still sums to 1
  const auto r = methods::scahn_bit_ranking(skewed, equal, "reference_softmax");
  REQUIRE(r.size() == 4);
  CHECK(std::is_permutation(r.begin(), r.end(), std::vector<int>{0, 1, 2, 3}.begin()));
}

TEST_CASE("scahn: the text net is initialised as the reference's", "[scahn]") {
  torch::manual_seed(1);
  const int64_t t = 300, bits = 64;
  methods::ScahnTextNet net(t, bits);
  int convs = 0, biased = 0;
  for (const auto& item : net->named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& p = item.value();
    if (name.find("fusion") != std::string::npos || p.dim() != 4) continue;
    ++convs;
    // Kaiming normal, fan_out, ReLU: std = sqrt(2 / (out channels × kernel area)).
    const double fan_out = static_cast<double>(p.size(0) * p.size(2) * p.size(3));
    INFO(name << " " << p.sizes());
    if (p.numel() >= 1000) {
      const double sd = p.std().item<double>();
      CHECK(sd == Approx(std::sqrt(2.0 / fan_out)).epsilon(0.1));
    }
  }
  for (const auto& item : net->named_parameters()) {
    const std::string& name = item.key();
    const torch::Tensor& p = item.value();
    if (name.find("bias") == std::string::npos || name.find("fusion") != std::string::npos) continue;
    INFO(name);
    if (name.find("blocks.") == 0) {
      // Inside the residual blocks only BatchNorm has a bias: the reference's convs have none.
      CHECK(name.find("body.0.") == std::string::npos);
      CHECK(name.find("body.3.") == std::string::npos);
      CHECK(name.find("shortcut.0.") == std::string::npos);
    } else {  // scale convs and heads: convolutions only (no BatchNorm outside the blocks)
      ++biased;
      const double largest = p.abs().max().item<double>();
      CHECK(largest == 0.0);  // convolution biases start at zero
    }
  }
  CHECK(convs == 5 + 4 * 3 + 4 * 2);  // scale convs, three per block, two per head
  CHECK(biased == 5 + 4 * 2);
  // At 64 bits the hash heads start at the reference's scale: 1x1 conv of 256 channels, std sqrt(2/64).
  const auto head = net->heads[3]->as<torch::nn::Sequential>()->ptr(3)->as<torch::nn::Conv2d>();
  REQUIRE(head != nullptr);
  const double head_sd = head->weight.std().item<double>();
  CHECK(head_sd == Approx(std::sqrt(2.0 / bits)).epsilon(0.05));
  // Narrower widths are parameters; the paper's are the defaults.
  methods::ScahnTextNet narrow(t, bits, methods::ScahnTextWidths{8, 32});
  CHECK(narrow->blocks[3]->named_parameters().size() > 0);
  CHECK(narrow->heads[0]->as<torch::nn::Sequential>()->ptr(0)->as<torch::nn::Conv2d>()->weight.size(0) == 32);
}

TEST_CASE("scahn: the reference's augmentations", "[scahn]") {
  // A 3x4x4 picture with distinct values: every flip, turn and transpose differs.
  const auto pic = torch::arange(48, torch::kFloat32).view({3, 4, 4});
  const std::vector<std::pair<std::string, torch::Tensor>> views = {
      {"original", pic}, {"h-flip", torch::flip(pic, {2})}, {"v-flip", torch::flip(pic, {1})},
      {"180", torch::flip(pic, {1, 2})}, {"90", torch::rot90(pic, 1, {1, 2})}, {"270", torch::rot90(pic, 3, {1, 2})},
      {"transpose", pic.transpose(1, 2)}, {"anti-transpose", torch::flip(pic.transpose(1, 2), {1, 2})}};
  auto count_views = [&](const std::string& rule) {
    torch::Generator gen = at::detail::createCPUGenerator(11);
    const auto out = methods::scahn_augment(pic.unsqueeze(0).expand({400, 3, 4, 4}).contiguous(), gen, rule);
    std::map<std::string, int> seen;
    for (int64_t i = 0; i < out.size(0); ++i) {
      std::string which = "other";
      for (const auto& [name, v] : views)
        if (torch::equal(out[i], v)) { which = name; break; }
      ++seen[which];
    }
    return seen;
  };
  // Reference: RandomApply([Rot90, Rot180, Rot270]) turns by 540 = 180 degrees; with the two flips
  // the views are original, h-flip, v-flip and 180 only, each about 1/4 of the 80% augmented
  // plus the 20% kept (original 0.2 + 0.8/4 = 0.4).
  const auto ref = count_views("reference");
  CHECK(ref.size() == 4);
  CHECK(ref.count("original") == 1);
  CHECK(ref.count("h-flip") == 1);
  CHECK(ref.count("v-flip") == 1);
  CHECK(ref.count("180") == 1);
  CHECK(ref.at("original") > 120);
  CHECK(ref.at("original") < 200);
  // all_rotations (this project's earlier reading) adds the transposed views.
  const auto all = count_views("all_rotations");
  CHECK(all.count("90") + all.count("270") + all.count("transpose") + all.count("anti-transpose") > 0);
  CHECK(all.count("other") == 0);
}

TEST_CASE("scahn: the reference's text erasure zeroes int(0.2 T) positions of every text", "[scahn]") {
  torch::Generator gen = at::detail::createCPUGenerator(5);
  const auto text = torch::ones({50, 137});
  const auto erased = methods::scahn_erase_text(text, 0.2, gen);
  REQUIRE(erased.sizes() == text.sizes());
  const auto zeros_per_row = (erased == 0).sum(1);
  const bool all_27 = (zeros_per_row == 27).all().item<bool>();
  CHECK(all_27);  // int(137 × 0.2) = 27
  CHECK(!torch::equal(erased[0], erased[1]));       // each row its own positions
  // Positions are uniform: over many rows every position is erased about 20% of the time.
  const auto many = methods::scahn_erase_text(torch::ones({4000, 137}), 0.2, gen);
  const auto rate = (many == 0).to(torch::kFloat32).mean(0);
  const float lowest = rate.min().item<float>(), highest = rate.max().item<float>();
  CHECK(lowest > 0.16f);
  CHECK(highest < 0.24f);
  // The same generator state draws the same positions.
  torch::Generator a = at::detail::createCPUGenerator(9), b = at::detail::createCPUGenerator(9);
  CHECK(torch::equal(methods::scahn_erase_text(text, 0.2, a), methods::scahn_erase_text(text, 0.2, b)));
  // Values that were 0 stay 0; nothing else changes.
  const auto sparse = (torch::rand({20, 137}) < 0.1).to(torch::kFloat32);
  const auto e = methods::scahn_erase_text(sparse, 0.2, gen);
  const bool only_zeroed = ((e == sparse) | (e == 0)).all().item<bool>();
  CHECK(only_zeroed);
}

TEST_CASE("scahn: the loss terms on a tiny case", "[scahn]") {
  // NLL(S, θ) = mean(log(1 + e^θ) − Sθ): S = [1, 0], θ = [0, ln 3] → (ln 2 + ln 4) / 2.
  const auto nll = methods::pairwise_nll(torch::tensor({{1.f, 0.f}}), torch::tensor({{0.f, std::log(3.f)}}),
                                         methods::NllReduction::kMean);
  CHECK(nll.item<float>() == Approx(1.5 * std::log(2.0)));
  // All outputs zero: every θ = 0, so inter = intra = ln 2, pair = γ ln 2; ||B − 0||² = k per item,
  // quant = β · ½ (k + k) / k = β.
  const int64_t bs = 2, n = 3, k = 4;
  std::vector<torch::Tensor> zeros(5, torch::zeros({bs, k}));
  const auto s1 = torch::tensor({{1.f, 0.f, 1.f}, {0.f, 0.f, 1.f}}), s12 = torch::tensor({{1.f, 0.f}, {0.f, 1.f}});
  const auto bank = torch::randn({n, k}), codes = torch::ones({bs, k});
  const auto t = methods::scahn_loss(zeros, zeros, s1, s1, s12, bank, bank, codes, -codes, {k / 32.0, 1.0, 0.01, 2.0});
  CHECK(t.inter == Approx(std::log(2.0)));
  CHECK(t.intra == Approx(std::log(2.0)));
  CHECK(t.pair == Approx(0.01 * std::log(2.0)));
  CHECK(t.quant == Approx(2.0));
  CHECK(t.total_value == Approx(2.01 * std::log(2.0) + 2.0));
}

TEST_CASE("scahn learns, and its codes cut to the top-ranked bits still beat random codes", "[scahn]") {
  test::SmallTask task;
  const auto m = test::fit(methods::scahn_method_info(), task, test::kSmallScahn, 32, 1);
  test::check_beats_random(*m, task, 32);

  // The ranking's first 4, 8 and 16 of 32 bits are codes of their own: each must keep what was
  // learned, clearly above random codes of that length. Measured with the reference's text-net
  // initialisation and augmentations over seeds 1–5 under threads 1 with ATEN_CPU_CAPABILITY
  // default and avx2 (10 runs): full codes min(i2t, t2i) − random 0.096–0.115, the top 4 bits
  // +0.040–0.058 (mean 0.050, SD 0.006), top 8 +0.061, top 16 +0.072 at least; 0.015 keeps 5 SDs
  // of room at 4 bits.
  // Whether the ranked bits also beat random subsets of the same bits is not asserted: in so few
  // steps the attention scores keep a rank correlation of 0.8–0.96 with their random
  // initialisation (logged as attention_rank_corr), and the ranked-minus-random margin changes
  // sign between seeds (methods/scahn/README.md, "Why the ranked bits carried nothing, and what
  // they carry now").
  const auto ranking = m->bit_ranking();
  REQUIRE(ranking.size() == 32);
  const auto qi = m->encode_image(task.data, task.query), dt = m->encode_text(task.data, task.database);
  const auto qt = m->encode_text(task.data, task.query), di = m->encode_image(task.data, task.database);
  auto kept_map = [&](const std::vector<int>& bits) {
    return 0.5 * (eval::mean_average_precision(qi.keep_bits(bits), dt.keep_bits(bits), task.query_labels, task.database_labels, 2) +
                  eval::mean_average_precision(qt.keep_bits(bits), di.keep_bits(bits), task.query_labels, task.database_labels, 2));
  };
  std::mt19937 rng(3);
  for (int kept : {4, 8, 16}) {
    const double ranked = kept_map(std::vector<int>(ranking.begin(), ranking.begin() + kept));
    double subsets = 0;
    for (int draw = 0; draw < 20; ++draw) {
      std::vector<int> all(32);
      std::iota(all.begin(), all.end(), 0);
      std::shuffle(all.begin(), all.end(), rng);
      subsets += kept_map(std::vector<int>(all.begin(), all.begin() + kept));
    }
    const double floor = task.random_map(kept);
    INFO("top " << kept << " ranked bits " << ranked << ", random subsets of " << kept << " bits (mean of 20) "
                << subsets / 20 << ", random " << kept << "-bit codes " << floor);
    CHECK(ranked > floor + 0.015);
  }
}

TEST_CASE("scahn: the same seed gives identical codes, resume gives the uninterrupted codes", "[scahn]") {
  test::SmallTask task(/*pixels=*/true, 400);  // pictures: exercises the small CNN and augmentation
  auto params = test::kSmallScahn;
  params["epochs"] = int64_t{3};
  test::check_same_seed_and_resume(methods::scahn_method_info(), task, params, 16, /*stop_after=*/2);
}

TEST_CASE("scahn encodes in eval mode, as the reference: an item's code does not depend on its batch", "[scahn]") {
  test::SmallTask task;
  auto params = test::kSmallScahn;
  params["epochs"] = int64_t{1};
  const auto m = test::fit(methods::scahn_method_info(), task, params, 16, 2);
  const std::vector<int64_t> batch(task.query.begin(), task.query.begin() + 40), alone{task.query[7]};
  const auto in_batch = m->encode_text(task.data, batch), by_itself = m->encode_text(task.data, alone);
  const auto img_batch = m->encode_image(task.data, batch), img_alone = m->encode_image(task.data, alone);
  for (int w = 0; w < in_batch.words(); ++w) {
    CHECK(in_batch.row(7)[w] == by_itself.row(0)[w]);
    CHECK(img_batch.row(7)[w] == img_alone.row(0)[w]);
  }
}

TEST_CASE("scahn refuses bad parameters", "[scahn]") {
  const MethodInfo info = methods::scahn_method_info();
  CHECK_THROWS_AS(Params(info.name, info.params, {{"bit_rank", std::string("best")}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"augment", std::string("heavy")}}), InputError);
  CHECK_THROWS_AS(Params(info.name, info.params, {{"text_augment", std::string("dropout")}}), InputError);
  test::SmallTask task;
  auto ctx = test::context(info, 16, 1, {{"batch_size", int64_t{400}}});
  CHECK_THROWS_WITH(info.create()->fit(task.data, task.train, ctx), Catch::Contains("two disjoint batches"));
  // out of range: refused as the parameters are resolved, naming the parameter, the method and the range
  CHECK_THROWS_WITH(test::context(info, 16, 1, {{"text_channels", int64_t{0}}}),
                    Catch::Contains("'scahn'") && Catch::Contains("'text_channels'") && Catch::Contains(">= 1"));
}
