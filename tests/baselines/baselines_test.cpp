// Every registered shallow method (the baselines/ folders): each learns on a small synthetic set
// (mAP clearly above random codes of the same length), gives the same codes for the same seed,
// and refuses bad parameters. The list comes from the registry: a new baseline is tested here
// by being registered.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "baselines_test_util.h"
#include "common/error.h"
#include "eval/metrics.h"
#include "method.h"
#include "test_methods.h"

using cmh::test::CrossCodes;
using cmh::test::encode_all;
using cmh::test::small_synthetic;

namespace {

const std::vector<std::string>& shallow_methods() {
  static const std::vector<std::string> names = cmh::test::method_names(cmh::MethodKind::kShallow);
  return names;
}

bool same(const cmh::eval::PackedBits& a, const cmh::eval::PackedBits& b) {
  if (a.size() != b.size() || a.bits() != b.bits()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    for (int w = 0; w < a.words(); ++w)
      if (a.row(i)[w] != b.row(i)[w]) return false;
  return true;
}

cmh::eval::PackedBits random_codes(size_t n, int bits, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n * static_cast<size_t>(bits));
  for (auto& b : v) b = static_cast<uint8_t>(rng() & 1u);
  return cmh::eval::PackedBits::from_binary(v.data(), n, bits);
}

}  // namespace

TEST_CASE("every shallow baseline learns on synthetic data: mAP clearly above random codes", "[baselines]") {
  const auto& s = small_synthetic();
  constexpr int kBits = 16;
  // Random codes of the same length, averaged over a few draws: the chance level of this set.
  double chance = 0;
  for (uint32_t r = 0; r < 4; ++r)
    chance += cmh::eval::mean_average_precision(random_codes(s.split.query.size(), kBits, 11 + r),
                                                random_codes(s.split.database.size(), kBits, 97 + r),
                                                s.query_labels, s.database_labels, 1) /
              4.0;
  for (const auto& name : shallow_methods()) {
    SECTION(name) {
      const CrossCodes c = encode_all(name, s, kBits, 1, {});
      const double i2t = cmh::eval::mean_average_precision(c.query_image, c.database_text, s.query_labels,
                                                           s.database_labels, 1);
      const double t2i = cmh::eval::mean_average_precision(c.query_text, c.database_image, s.query_labels,
                                                           s.database_labels, 1);
      INFO(name << ": i2t " << i2t << ", t2i " << t2i << ", random codes " << chance);
      CHECK(i2t >= chance + 0.05);
      CHECK(t2i >= chance + 0.05);
    }
  }
}

TEST_CASE("the same seed gives the same codes, for every shallow baseline", "[baselines]") {
  const auto& s = small_synthetic();
  for (const auto& name : shallow_methods()) {
    SECTION(name) {
      const CrossCodes a = encode_all(name, s, 16, 7, {});
      const CrossCodes b = encode_all(name, s, 16, 7, {});
      CHECK(same(a.query_image, b.query_image));
      CHECK(same(a.query_text, b.query_text));
      CHECK(same(a.database_image, b.database_image));
      CHECK(same(a.database_text, b.database_text));
    }
  }
}

TEST_CASE("bad parameters are refused before any work", "[baselines]") {
  const auto& s = small_synthetic();
  const std::map<std::string, std::map<std::string, cmh::ParamValue>> bad_values = {
      {"cca", {{"reg", -1e-3}}},
      {"cmssh", {{"pairs", int64_t{0}}, {"positive_share", 1.5}, {"thresholds", int64_t{-1}}}},
      {"scm-seq", {{"reg", -1.0}}},
      {"scm-orth", {{"reg", -1.0}}},
      {"cmfh", {{"lambda", 1.0}, {"mu", 0.0}, {"gamma", -0.01}, {"max_iter", int64_t{0}}}},
      {"lssh", {{"rho", 0.0}, {"gamma", 0.0}, {"mu", -1.0}, {"atoms", int64_t{0}}, {"lasso_iterations", int64_t{0}}}},
      {"ksh-cv", {{"anchors", int64_t{0}}, {"kernel_scale", 0.0}, {"reg", 0.0}, {"refine_iterations", int64_t{-1}}, {"max_train", int64_t{1}}}},
      {"cvh", {{"reg", -1e-3}}},
      {"imh", {{"lambda", -1.0}, {"beta", 0.0}, {"inter_weight", 0.0}, {"knn", int64_t{0}}, {"sigma_scale", 0.0},
               {"max_train", int64_t{1}}, {"paired_share", 0.0}}},
      {"seph-rnd", {{"alpha", -1.0}, {"anchors", int64_t{0}}, {"klr_reg", 0.0}, {"momentum", 1.0}}},
      {"seph-km", {{"kmeans_iterations", int64_t{0}}, {"max_train", int64_t{1}}, {"kernel_scale", 0.0}}},
      {"stmh", {{"image_weight", 0.0}, {"lambda", -0.5}, {"max_iter", int64_t{0}}}},
  };
  for (const auto& [name, values] : bad_values) {
    const cmh::MethodInfo& info = cmh::test::methods().at(name);
    for (const auto& [key, value] : values) {
      INFO(name << "." << key << " = " << cmh::param_value_text(value));
      // Refused when the parameters are resolved (the table's range: as the experiment is read)
      // or, for what a range cannot say, when the method starts.
      auto start = [&] {
        cmh::RunContext ctx;
        ctx.bits = 16;
        ctx.seed = 1;
        ctx.params = cmh::Params(name, info.params, {{key, value}});
        info.create()->fit(s.dataset, s.split.train, ctx);
      };
      CHECK_THROWS_AS(start(), cmh::InputError);
    }
    // Unknown names and wrong types never reach the method.
    CHECK_THROWS_AS(cmh::Params(name, info.params, {{"no_such_parameter", 1.0}}), cmh::InputError);
    CHECK_THROWS_AS(cmh::Params(name, info.params, {{info.params.front().name, std::string("x")}}),
                    cmh::InputError);
  }
  for (const char* name : {"cmfh", "seph-rnd", "seph-km", "lssh"})
    CHECK_THROWS_AS(cmh::Params(name, cmh::test::methods().at(name).params,
                                {{"database_codes", std::string("both")}}),
                    cmh::InputError);
  CHECK_THROWS_AS(cmh::Params("scm-orth", cmh::test::methods().at("scm-orth").params,
                              {{"beyond_rank", std::string("pad")}}),
                  cmh::InputError);
}

TEST_CASE("scm-orth names its random padding beyond the rank, or refuses it", "[baselines]") {
  const auto& s = small_synthetic();  // 24 labels: XᵀSY has rank <= 24 < 32 bits
  std::vector<std::string> notes;
  encode_all("scm-orth", s, 32, 1, {}, &notes);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("seeded random projections") != std::string::npos);
  CHECK_THROWS_AS(encode_all("scm-orth", s, 32, 1, {{"beyond_rank", std::string("refuse")}}), cmh::InputError);
}

TEST_CASE("unified codes are the retrieval set's (encode_database), per-modality calls stay single-modality", "[baselines]") {
  const auto& s = small_synthetic();
  for (const char* name : {"cmfh", "seph-rnd", "lssh"}) {
    SECTION(name) {
      std::vector<std::string> notes;
      const CrossCodes u = encode_all(name, s, 16, 1, {}, &notes);
      const CrossCodes h = encode_all(name, s, 16, 1, {{"database_codes", std::string("hash_function")}});
      // Unified: one code per database item, whichever modality asks; queries are unchanged.
      CHECK(same(u.database_image, u.database_text));
      CHECK_FALSE(same(h.database_image, h.database_text));
      CHECK(same(u.query_image, h.query_image));
      CHECK(same(u.query_text, h.query_text));
      REQUIRE_FALSE(notes.empty());
      CHECK(notes.back().find("unified") != std::string::npos);
      // Asked per modality, even for every database item, the codes come from that modality alone.
      CHECK(same(u.database_image_alone, h.database_image));
    }
  }
}
