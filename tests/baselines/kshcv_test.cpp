// KSH-CV (baselines/kshcv): each bit's smooth refinement improves on its spectral start, the bit
// kept agrees with the label similarities at least as well as the start, and the refinement
// matters on the synthetic set.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "baselines_test_util.h"
#include "test_methods.h"

namespace {

std::vector<std::map<std::string, double>> bit_logs(const cmh::test::SplitSet& s,
                                                    const std::map<std::string, cmh::ParamValue>& overrides) {
  const cmh::MethodInfo& info = cmh::test::methods().at("ksh-cv");
  cmh::RunContext ctx;
  ctx.bits = 16;
  ctx.seed = 3;
  ctx.params = cmh::Params("ksh-cv", info.params, overrides);
  std::vector<std::map<std::string, double>> logs;
  ctx.on_epoch = [&](const cmh::EpochLog& log) {
    std::map<std::string, double> v(log.values.begin(), log.values.end());
    logs.push_back(v);
  };
  auto m = info.create();
  m->fit(s.dataset, s.split.train, ctx);
  return logs;
}

}  // namespace

TEST_CASE("ksh-cv: every bit's refinement improves on its spectral start", "[baselines]") {
  const auto& s = cmh::test::small_synthetic();
  const auto logs = bit_logs(s, {});
  REQUIRE(logs.size() == 16);
  int improved = 0;
  for (size_t t = 0; t < logs.size(); ++t) {
    const auto& v = logs[t];
    INFO("bit " << t + 1 << ": surrogate " << v.at("surrogate_spectral") << " -> " << v.at("surrogate")
                << ", agreement " << v.at("agreement_spectral") << " -> " << v.at("agreement"));
    // L-BFGS with a Wolfe line search never accepts a worse smooth objective.
    CHECK(v.at("surrogate") >= v.at("surrogate_spectral") - 1e-12);
    // The kept bit is the better of start and refinement in the discrete weighted agreement,
    // which is positive (a bit that agreed worse than chance would be flipped by the SVD).
    CHECK(v.at("agreement") >= v.at("agreement_spectral"));
    CHECK(v.at("agreement") > 0.0);
    CHECK(v.at("agreement") <= 1.0);
    if (v.at("surrogate") > v.at("surrogate_spectral") + 1e-4) ++improved;
  }
  CHECK(improved >= 8);
}

TEST_CASE("ksh-cv: without refinement the kept bits are the spectral ones", "[baselines]") {
  const auto& s = cmh::test::small_synthetic();
  const auto logs = bit_logs(s, {{"refine_iterations", int64_t{0}}});
  REQUIRE(logs.size() == 16);
  for (const auto& v : logs) {
    CHECK(v.at("agreement") == v.at("agreement_spectral"));
    CHECK(v.at("surrogate") == v.at("surrogate_spectral"));
  }
  // Boosting moves weight onto the pairs the earlier bits got wrong, so later bits agree less on
  // the re-weighted pairs than the first bit did on uniform weights.
  CHECK(logs.back().at("agreement") < logs.front().at("agreement"));
}
