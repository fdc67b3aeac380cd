// `cmhbench eval FILE.mat`: evaluate codes made by any tool, with the harness's metrics.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/options.h"
#include "common/error.h"
#include "common/json.h"
#include "eval/metric_names.h"
#include "eval/metrics.h"
#include "io/codes_file.h"
#include "io/mat_file.h"

namespace cmh::cli {
namespace {

eval::PackedBits read_labels(const io::MatReader& mat, const std::string& var, bool items_are_cols) {
  const io::MatArray<double> a = mat.read_double(var);
  if (a.dims.size() != 2 || a.rows() == 0 || a.cols() == 0)
    throw InputError("eval: '" + mat.path() + "' variable '" + var + "' (" + mat.info(var).shape() +
                     ") is not a non-empty 2-D items×labels matrix");
  const std::vector<double> v = io::to_row_major(a, items_are_cols);
  const size_t n = items_are_cols ? a.cols() : a.rows();
  const size_t l = items_are_cols ? a.rows() : a.cols();
  std::vector<uint8_t> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != 0.0 && v[i] != 1.0)
      throw InputError("eval: '" + mat.path() + "' variable '" + var + "' holds the value " +
                       std::to_string(v[i]) + " at item " + std::to_string(i / l) +
                       "; labels must be a multi-hot {0,1} matrix");
    b[i] = v[i] != 0.0;
  }
  return eval::PackedBits::labels(b.data(), n, static_cast<int>(l));
}

void check_rows(const std::string& path, const std::string& codes_var, size_t codes,
                const std::string& labels_var, size_t labels) {
  if (codes != labels)
    throw InputError("eval: '" + path + "': '" + codes_var + "' has " + std::to_string(codes) +
                     " items but '" + labels_var + "' has " + std::to_string(labels) +
                     "; each code row needs its label row (check --layout and the variable names)");
}

// The text and the JSON name every value as the store, `check`, `compare` and the reports do
// (eval/metric_names.h), so a number read here can be looked up there under the same name.
void print_text(const std::string& dir, const eval::DirectionMetrics& m, bool curves) {
  std::printf("%-4s", dir.c_str());
  for (const auto& [name, v] : eval::metric::named_values(m)) {
    if (name == eval::metric::kQueriesWithoutRelevant) continue;  // a count: in the parentheses
    if (!curves && name.rfind(eval::metric::kMapAtKReferencePrefix, 0) == 0) continue;
    std::printf("  %s %.4f", name.c_str(), v);
  }
  std::printf("  (%zu queries, %zu database, %zu queries without relevant item)\n", m.queries, m.database,
              m.queries_without_relevant);
  if (!curves) return;
  std::printf("     %s by radius (r: precision recall):", eval::metric::kPrCurve);
  for (const auto& p : m.pr) std::printf(" %d: %.4f %.4f;", p.radius, p.precision, p.recall);
  std::printf("\n     %s (N: precision):", eval::metric::kTopNCurve);
  for (const auto& [n, v] : m.precision_at_n) std::printf(" %zu: %.4f;", n, v);
  std::printf("\n");
}

void write_json(JsonWriter& j, const eval::DirectionMetrics& m) {
  j.begin_object();
  j.key("queries").value(m.queries).key("database").value(m.database);
  for (const auto& [name, v] : eval::metric::named_values(m)) {
    if (name == eval::metric::kQueriesWithoutRelevant) j.key(name).value(m.queries_without_relevant);
    else j.key(name).value(v);
  }
  j.key(eval::metric::kTopNCurve).begin_object();
  for (const auto& [n, v] : m.precision_at_n) j.key(std::to_string(n)).value(v);
  j.end_object();
  j.key(eval::metric::kPrCurve).begin_array();
  for (const auto& p : m.pr)
    j.begin_object().key("radius").value(p.radius).key("precision").value(p.precision)
        .key("recall").value(p.recall).end_object();
  j.end_array();
  j.end_object();
}

}  // namespace

int eval_command(const Args& args) {
  po::options_description opt("options");
  std::string file, q_img, q_txt, r_img, r_txt, q_label, r_label, layout;
  std::vector<size_t> map_at;
  int threads = 0;
  opt.add_options()
    ("file", po::value(&file)->required(), ".mat file with codes and labels")
    ("q-img", po::value(&q_img)->default_value("q_img"), "query image codes [items, bits]")
    ("q-txt", po::value(&q_txt)->default_value("q_txt"), "query text codes")
    ("r-img", po::value(&r_img)->default_value("r_img"), "database (retrieval) image codes")
    ("r-txt", po::value(&r_txt)->default_value("r_txt"), "database (retrieval) text codes")
    ("q-label", po::value(&q_label)->default_value("q_label"), "query labels, multi-hot")
    ("r-label", po::value(&r_label)->default_value("r_label"), "database labels, multi-hot")
    ("layout", po::value(&layout)->default_value("rows"), "rows: items are rows; cols: items are columns")
    ("map-at", po::value(&map_at)->multitoken(), "R values of mAP@R (default 50 100 500 1000)")
    ("curves", "also print the PR curve (pr), precision@N (topn) and map_at_k_reference@R")
    ("json", "print every metric and curve as JSON")
    ("threads", po::value(&threads)->default_value(0), "evaluation threads (0: all cores)");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse_options("eval", "FILE.mat [options]", args, opt, pos, vm)) return 0;
  if (layout != "rows" && layout != "cols")
    throw InputError("eval: --layout '" + layout + "' is not valid; use rows or cols");
  const bool cols = layout == "cols";

  io::MatReader mat(file);
  auto named = [&](const char* o) { return !vm[o].defaulted(); };
  const auto qi = io::read_codes(mat, q_img, named("q-img"), cols, "eval");
  const auto qt = io::read_codes(mat, q_txt, named("q-txt"), cols, "eval");
  const auto ri = io::read_codes(mat, r_img, named("r-img"), cols, "eval");
  const auto rt = io::read_codes(mat, r_txt, named("r-txt"), cols, "eval");
  const eval::PackedBits ql = read_labels(mat, q_label, cols);
  const eval::PackedBits rl = read_labels(mat, r_label, cols);
  if (qi) check_rows(file, q_img, qi->size(), q_label, ql.size());
  if (qt) check_rows(file, q_txt, qt->size(), q_label, ql.size());
  if (ri) check_rows(file, r_img, ri->size(), r_label, rl.size());
  if (rt) check_rows(file, r_txt, rt->size(), r_label, rl.size());

  eval::EvalConfig config;
  config.threads = threads;
  if (!map_at.empty()) config.map_at = map_at;
  std::vector<std::pair<std::string, eval::DirectionMetrics>> results;
  auto run = [&](const char* dir, const std::optional<eval::PackedBits>& q,
                 const std::optional<eval::PackedBits>& r) {
    if (q && r) results.emplace_back(dir, eval::evaluate(*q, *r, ql, rl, config));
  };
  run("i2t", qi, rt);
  run("t2i", qt, ri);
  run("i2i", qi, ri);
  run("t2t", qt, rt);
  if (results.empty())
    throw InputError("eval: '" + file + "' has no query/database code pair among '" + q_img + "', '" +
                     q_txt + "', '" + r_img + "', '" + r_txt +
                     "'; name the variables with --q-img/--q-txt/--r-img/--r-txt");

  if (vm.count("json")) {
    JsonWriter j;
    j.begin_object().key("file").value(file).key("tie_rule").value(eval::kTieRule);
    j.key("directions").begin_object();
    for (const auto& [dir, m] : results) {
      j.key(dir);
      write_json(j, m);
    }
    j.end_object().end_object();
    std::cout << j.str() << "\n";
  } else {
    std::printf("%s (%s)\n", file.c_str(), eval::kTieRule);
    for (const auto& [dir, m] : results) print_text(dir, m, vm.count("curves") > 0);
  }
  return 0;
}

}  // namespace cmh::cli
