// IMH (baselines/imh): without the graphs and with one modality twice, the closed form is PCA
// hashing; the logged terms add up to the eigenvalue sum the solution minimises.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "baselines_test_util.h"
#include "common/error.h"
#include "method.h"
#include "test_methods.h"

using cmh::test::CrossCodes;
using cmh::test::encode_all;
using cmh::test::small_synthetic;
using cmh::test::SplitSet;
using cmh::test::with_split;

namespace {

bool bit(const cmh::eval::PackedBits& c, size_t item, int b) { return (c.row(item)[b >> 6] >> (b & 63)) & 1u; }

torch::Tensor rows(const cmh::data::Modality& m, const std::vector<int64_t>& items) {
  auto t = torch::empty({static_cast<int64_t>(items.size()), static_cast<int64_t>(m.dim)}, torch::kFloat64);
  for (size_t i = 0; i < items.size(); ++i)
    for (size_t j = 0; j < m.dim; ++j)
      t[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = m.features[static_cast<size_t>(items[i]) * m.dim + j];
  return t;
}

}  // namespace

TEST_CASE("imh with lambda = 0 and the image features as text too is PCA hashing", "[baselines]") {
  // With X_1 = X_2 = X and no graph term, C is a rising function of A = I − X(XᵀX + βI)⁻¹Xᵀ, whose
  // smallest eigenvalues β/(s² + β) belong to X's top left singular vectors: Y = U_k, W ∝ V_k,
  // codes sign((x − mean) V_k), the same for both modalities.
  const SplitSet& base = small_synthetic();
  cmh::data::Dataset d = base.dataset;
  d.text = d.image;
  const SplitSet s = with_split(std::move(d), base.split);
  constexpr int kBits = 8;
  const CrossCodes c = encode_all("imh", s, kBits, 1, {{"lambda", 0.0}});

  const auto train = rows(s.dataset.image, s.split.train);
  const auto mean = train.mean(0, true);
  auto [u, sv, vh] = torch::linalg_svd(train - mean, false, c10::nullopt);
  const auto pca = (rows(s.dataset.image, s.split.query) - mean).mm(vh.narrow(0, 0, kBits).t());  // [q, k]
  for (int b = 0; b < kBits; ++b) {
    INFO("bit " << b << ", singular values " << sv[b].item<double>() << " > " << sv[b + 1].item<double>());
    size_t agree = 0, same_views = 0;
    const size_t q = c.query_image.size();
    for (size_t i = 0; i < q; ++i) {
      agree += bit(c.query_image, i, b) == (pca[static_cast<int64_t>(i)][b].item<double>() >= 0.0);
      same_views += bit(c.query_image, i, b) == bit(c.query_text, i, b);
    }
    CHECK((agree >= q * 99 / 100 || agree <= q / 100));  // the PCA direction up to its sign
    CHECK(same_views == q);
  }
}

TEST_CASE("imh: the regression, intra- and inter-media terms at the solution sum to the k smallest eigenvalues",
          "[baselines]") {
  // Substituting Y_2 = E Y_1 into the objective must give Tr(Y_1ᵀ C Y_1) exactly; a wrong E or C
  // (a missing term, P on the wrong side) breaks the sum. Half the items unpaired, both graphs on.
  const auto& s = small_synthetic();
  for (const char* weights : {"heat", "binary"}) {
    SECTION(weights) {
      const cmh::MethodInfo& info = cmh::test::methods().at("imh");
      cmh::RunContext ctx;
      ctx.bits = 16;
      ctx.seed = 2;
      ctx.params = cmh::Params("imh", info.params,
                               {{"paired_share", 0.5}, {"inter_weight", 10.0}, {"graph_weights", std::string(weights)}});
      std::map<std::string, double> logged;
      ctx.on_epoch = [&](const cmh::EpochLog& log) {
        for (const auto& [k, v] : log.values) logged[k] = v;
      };
      auto m = info.create();
      m->fit(s.dataset, s.split.train, ctx);
      REQUIRE(logged.count("objective") == 1);
      const double sum = logged["regression"] + logged["intra_media"] + logged["inter_media"];
      INFO("objective " << logged["objective"] << ", terms " << logged["regression"] << " + " << logged["intra_media"]
                        << " + " << logged["inter_media"]);
      CHECK(std::abs(sum - logged["objective"]) <= 1e-8 * std::max(1.0, std::abs(logged["objective"])));
      CHECK(logged["inter_media"] > 0.0);  // u = 10 leaves paired codes slightly apart
      REQUIRE(ctx.notes.size() == 1);
      CHECK(ctx.notes[0].find("150 of 300") != std::string::npos);
    }
  }
}

TEST_CASE("imh refuses a graph with more neighbours than items, and names its training subset", "[baselines]") {
  const auto& s = small_synthetic();
  CHECK_THROWS_AS(encode_all("imh", s, 16, 1, {{"knn", int64_t{300}}}), cmh::InputError);
  std::vector<std::string> notes;
  encode_all("imh", s, 16, 1, {{"max_train", int64_t{100}}}, &notes);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("100 of 300") != std::string::npos);
  CHECK_THROWS_AS(
      cmh::Params("imh", cmh::test::methods().at("imh").params, {{"threshold", std::string("mean")}}),
      cmh::InputError);
}
