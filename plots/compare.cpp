// Database against database: difference of seed means, Welch's interval.
#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "common/error.h"
#include "check.h"
#include "common/json.h"
#include "results.h"
#include "store/store.h"

namespace cmh::plots {
namespace {

using Group = std::tuple<std::string, std::string, int>;            // label, dataset, bits
using MetricKey = std::pair<std::string, std::string>;               // direction, name
using Values = std::map<Group, std::map<MetricKey, std::vector<double>>>;  // one value per seed

Values values_of(const store::Store& db, const CompareOptions& o) {
  const auto runs = db.runs(o.experiment);
  std::map<std::tuple<std::string, std::string, int, int64_t>, const store::RunRow*> latest;
  for (const auto& r : runs)
    if (r.status == "done") latest[{r.record.method, r.record.dataset, r.record.bits, r.record.seed}] = &r;
  const std::set<std::string> wanted(o.metrics.begin(), o.metrics.end());
  Values v;
  for (const auto& [k, run] : latest) {
    auto& g = v[{std::get<0>(k), std::get<1>(k), std::get<2>(k)}];
    for (const auto& m : db.metrics(run->id)) {
      if (!is_compared_metric(m.name)) continue;
      if (!wanted.empty() && !wanted.count(m.name)) continue;
      g[{m.direction, m.name}].push_back(m.value);
    }
  }
  return v;
}

// The mean, and the sample deviation only where there are two values or more.
void mean_sd(const std::vector<double>& x, double& mean, std::optional<double>& sd) {
  const MeanSd m = plots::mean_sd(x);
  mean = m.mean;
  if (x.size() >= 2) sd = m.sd;
}

std::string group_text(const Group& g) {
  return std::get<0>(g) + " · " + std::get<1>(g) + " · " + std::to_string(std::get<2>(g)) + " bits";
}

std::string fmt(const char* f, double v) {
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

double t_quantile_975(double df) {
  static const double kTable[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                  2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                  2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  const int d = static_cast<int>(std::floor(df));
  if (d < 1) return kTable[0];
  if (d <= 30) return kTable[d - 1];
  return 1.96 + 2.4 / d;  // within 0.002 of the exact quantile beyond 30
}

CompareResult compare_databases(const store::Store& a, const store::Store& b, const CompareOptions& options) {
  CompareResult res;
  res.path_a = a.path();
  res.path_b = b.path();
  const Values va = values_of(a, options), vb = values_of(b, options);
  if (va.empty() || vb.empty())
    throw InputError("compare: '" + (va.empty() ? a.path() : b.path()) + "' holds no finished runs" +
                     (options.experiment.empty() ? "" : " of experiment " + options.experiment) +
                     "; run the experiment into it first");
  for (const auto& [g, metrics_a] : va) {
    auto it = vb.find(g);
    if (it == vb.end()) {
      res.only_a.push_back(group_text(g));
      continue;
    }
    for (const auto& [m, xa] : metrics_a) {
      auto jt = it->second.find(m);
      if (jt == it->second.end()) continue;
      const auto& xb = jt->second;
      CompareRow r;
      std::tie(r.method, r.dataset, r.bits) = g;
      r.direction = m.first;
      r.metric = m.second;
      r.n_a = static_cast<int>(xa.size());
      r.n_b = static_cast<int>(xb.size());
      mean_sd(xa, r.mean_a, r.sd_a);
      mean_sd(xb, r.mean_b, r.sd_b);
      r.diff = r.mean_b - r.mean_a;
      if (!std::isfinite(r.diff)) {
        r.verdict = "NaN in a run: not comparable";
      } else if (std::fabs(r.diff) <= 1e-12 && r.sd_a && r.sd_b && *r.sd_a <= 1e-12 && *r.sd_b <= 1e-12) {
        r.half_width = 0;
        r.verdict = "identical";
      } else if (!r.sd_a || !r.sd_b) {
        r.verdict = "one seed on a side: no spread to judge by";
      } else {
        // Welch: the two sides' variances need not be equal (a change may make a method noisier).
        const double va_n = *r.sd_a * *r.sd_a / r.n_a, vb_n = *r.sd_b * *r.sd_b / r.n_b;
        const double se = std::sqrt(va_n + vb_n);
        if (se <= 1e-12) {
          r.half_width = 0;
          r.beyond = true;
          r.verdict = std::string("beyond noise (both sides exact over seeds): ") + (r.diff > 0 ? "better" : "worse") + " in B";
        } else {
          const double df = (va_n + vb_n) * (va_n + vb_n) /
                            (va_n * va_n / (r.n_a - 1) + vb_n * vb_n / (r.n_b - 1));
          r.half_width = t_quantile_975(df) * se;
          r.beyond = std::fabs(r.diff) > *r.half_width;
          r.verdict = r.beyond ? (r.diff > 0 ? "beyond noise: better in B" : "beyond noise: worse in B") : "within noise";
        }
      }
      res.beyond += r.beyond ? 1 : 0;
      res.rows.push_back(std::move(r));
    }
  }
  for (const auto& [g, unused] : vb) {
    (void)unused;
    if (!va.count(g)) res.only_b.push_back(group_text(g));
  }
  return res;
}

std::string compare_markdown(const CompareResult& r) {
  std::string s = "# Comparison: B − A\n\nA: `" + r.path_a + "`  \nB: `" + r.path_b + "`\n\n";
  s += "Per method, dataset and code length: the mean over seeds on each side (± sample SD, n seeds), "
       "B − A, and its 95% interval (Welch's t). A row is *beyond noise* when B − A lies outside that "
       "interval; each row is judged alone, so among many rows about 1 in 20 is beyond noise by chance.\n\n";
  s += "| method | dataset | bits | dir | metric | A | B | B − A | ± 95% | verdict |\n";
  s += "|---|---|---:|---|---|---:|---:|---:|---:|---|\n";
  auto side = [](double mean, const std::optional<double>& sd, int n) {
    return fmt("%.4f", mean) + (sd ? " ± " + fmt("%.4f", *sd) : "") + " (" + std::to_string(n) + ")";
  };
  for (const auto& row : r.rows) {
    s += "| " + row.method + " | " + row.dataset + " | " + std::to_string(row.bits) + " | " + row.direction + " | " +
         row.metric + " | " + side(row.mean_a, row.sd_a, row.n_a) + " | " + side(row.mean_b, row.sd_b, row.n_b) +
         " | " + fmt("%+.4f", row.diff) + " | " + (row.half_width ? fmt("%.4f", *row.half_width) : "–") + " | " +
         (row.beyond ? "**" + row.verdict + "**" : row.verdict) + " |\n";
  }
  s += "\n" + std::to_string(r.beyond) + " of " + std::to_string(r.rows.size()) + " values beyond noise.\n";
  if (!r.only_a.empty()) {
    s += "\nOnly in A (not compared):\n";
    for (const auto& g : r.only_a) s += "- " + g + "\n";
  }
  if (!r.only_b.empty()) {
    s += "\nOnly in B (not compared):\n";
    for (const auto& g : r.only_b) s += "- " + g + "\n";
  }
  return s;
}

std::string compare_json(const CompareResult& r) {
  JsonWriter j;
  j.begin_object();
  j.key("a").value(r.path_a);
  j.key("b").value(r.path_b);
  j.key("confidence").value(0.95);
  j.key("rows").begin_array();
  for (const auto& row : r.rows) {
    j.begin_object();
    j.key("method").value(row.method);
    j.key("dataset").value(row.dataset);
    j.key("bits").value(row.bits);
    j.key("direction").value(row.direction);
    j.key("metric").value(row.metric);
    j.key("n_a").value(row.n_a);
    j.key("n_b").value(row.n_b);
    j.key("mean_a").value(row.mean_a);
    j.key("mean_b").value(row.mean_b);
    j.key("sd_a");
    row.sd_a ? j.value(*row.sd_a) : j.null();
    j.key("sd_b");
    row.sd_b ? j.value(*row.sd_b) : j.null();
    j.key("diff").value(row.diff);
    j.key("half_width_95");
    row.half_width ? j.value(*row.half_width) : j.null();
    j.key("beyond_noise").value(row.beyond);
    j.key("verdict").value(row.verdict);
    j.end_object();
  }
  j.end_array();
  j.key("only_a").begin_array();
  for (const auto& g : r.only_a) j.value(g);
  j.end_array();
  j.key("only_b").begin_array();
  for (const auto& g : r.only_b) j.value(g);
  j.end_array();
  j.end_object();
  return j.str() + "\n";
}

}  // namespace cmh::plots
