// Regression checks against reference values with measured bands.
#include "check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/error.h"
#include "csv.h"
#include "eval/metric_names.h"
#include "common/json_value.h"
#include "store/store.h"

namespace cmh::plots {
namespace metric = eval::metric;
namespace {

const std::vector<std::string> kColumns = {"experiment", "method", "dataset", "bits",  "direction",
                                           "metric",     "seeds",  "cell_keys", "runs", "mean",
                                           "noise",      "band",   "rule",    "why"};
// The format before bands: one row per cell and seed, a fixed tolerance.
const std::vector<std::string> kLegacyColumns = {"experiment", "cell_key", "method", "dataset", "bits",
                                                 "seed",       "direction", "metric", "value"};

// Differences this small are floating-point noise in the stored value, not a change of the metric.
constexpr double kEpsilon = 1e-12;

std::string num17(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

std::string f4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

std::string g3(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string signed4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.4f", v);
  return b;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "seed 1", "seeds 1–5", "seeds 1, 3, 8".
std::string seeds_text(const std::vector<int64_t>& seeds) {
  if (seeds.size() == 1) return "seed " + std::to_string(seeds[0]);
  bool consecutive = true;
  for (size_t i = 1; i < seeds.size(); ++i) consecutive &= seeds[i] == seeds[i - 1] + 1;
  if (consecutive) return "seeds " + std::to_string(seeds.front()) + "–" + std::to_string(seeds.back());
  std::vector<std::string> parts;
  for (auto s : seeds) parts.push_back(std::to_string(s));
  return "seeds " + join(parts, ", ");
}

// The short form for the table: "s1", "s1-5", "s1,3,8".
std::string seeds_short(const std::vector<int64_t>& seeds) {
  std::string t = seeds_text(seeds);
  t = t.substr(t.find(' ') + 1);
  std::string out = "s";
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.compare(i, 3, "–") == 0) {
      out += '-';
      i += 2;
    } else if (t[i] != ' ') {
      out += t[i];
    }
  }
  return out;
}

std::string group_name(const ReferenceRow& r) {
  std::string s = r.method + " · " + r.dataset + " · " + std::to_string(r.bits) + " bits · " + seeds_text(r.seeds);
  if (r.cell_keys.size() == 1) s += " [key " + r.cell_keys[0] + "]";
  return s;
}

using RowKey = std::tuple<std::string, std::string, std::string, int, std::string, std::string>;
RowKey key_of(const ReferenceRow& r) { return {r.experiment, r.method, r.dataset, r.bits, r.direction, r.metric}; }

bool has_column(const CsvTable& t, const std::string& c) {
  return std::find(t.header.begin(), t.header.end(), c) != t.header.end();
}

double parse_number(const std::string& where, const std::string& col, const std::string& text,
                    const std::string& fix) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v))
    throw InputError(where + ": " + col + " '" + text + "' is not a number" + fix);
  return v;
}

std::string cpu_capability_of(const std::string& library_versions_json) {
  try {
    const JsonValue v = JsonValue::parse(library_versions_json);
    const std::string blas = v["openblas_coretype"].str();
    return v["cpu_capability"].str("unrecorded") + (blas.empty() ? "" : ", OPENBLAS_CORETYPE " + blas);
  } catch (const std::exception&) {
    return "unrecorded";
  }
}

}  // namespace

bool is_compared_metric(const std::string& name) {
  return name != metric::kQueriesWithoutRelevant && name.rfind(metric::kMapAtKReferencePrefix, 0) != 0;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Pass: return "pass";
    case Outcome::Improved: return "IMPROVED";
    case Outcome::Regressed: return "REGRESSED";
    case Outcome::Skipped: return "skip";
    case Outcome::Missing: return "MISSING";
    case Outcome::NotDone: return "NOT DONE";
    case Outcome::NoMetric: return "NO METRIC";
    case Outcome::NotANumber: return "NAN";
  }
  return "?";
}

std::vector<ReferenceRow> read_reference(const std::string& path) {
  const CsvTable t = read_csv_file(path, "reference");
  const std::string fix = "; fix the file or rewrite it with `cmhbench check DB… --against " + path + " --update`";
  const bool legacy = !has_column(t, "mean") && has_column(t, "value");
  for (const auto& c : legacy ? kLegacyColumns : kColumns) {
    if (c == "noise" || c == "why" || c == "runs") continue;  // optional
    if (!has_column(t, c))
      throw InputError("reference '" + path + "': no column '" + c + "'; the header must be " + join(kColumns, ",") +
                       " (or the older " + join(kLegacyColumns, ",") + "[,tolerance])" + fix);
  }
  std::vector<ReferenceRow> rows;
  std::map<RowKey, int> seen;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& f = t.rows[i];
    ReferenceRow r;
    r.line = t.lines[i];
    const std::string where = "reference '" + path + "' line " + std::to_string(r.line);
    auto number = [&](const std::string& col) { return parse_number(where, col, f.at(col), fix); };
    auto optional_number = [&](const std::string& col) -> std::optional<double> {
      if (!f.count(col) || f.at(col).empty()) return std::nullopt;
      const double v = number(col);
      if (v < 0) throw InputError(where + ": " + col + " must be ≥ 0" + fix);
      return v;
    };
    r.experiment = f.at("experiment");
    r.method = f.at("method");
    r.dataset = f.at("dataset");
    r.direction = f.at("direction");
    r.metric = f.at("metric");
    r.bits = static_cast<int>(number("bits"));
    if (legacy) {
      r.cell_keys = {f.at("cell_key")};
      r.seeds = {static_cast<int64_t>(number("seed"))};
      r.mean = number("value");
      r.band = optional_number("tolerance");
      r.why = "older reference format: one run, no spread measured";
    } else {
      r.cell_keys = split_words(f.at("cell_keys"));
      for (const auto& s : split_words(f.at("seeds"))) r.seeds.push_back(static_cast<int64_t>(parse_number(where, "seeds", s, fix)));
      if (r.seeds.empty() || r.seeds.size() != r.cell_keys.size())
        throw InputError(where + ": seeds and cell_keys must list the same number of entries (one key per seed)" + fix);
      r.mean = number("mean");
      r.noise = optional_number("noise");
      r.band = optional_number("band");
      if (f.count("runs") && !f.at("runs").empty()) r.runs = static_cast<int>(number("runs"));
      const std::string rule = f.at("rule");
      if (rule != "check" && rule != "skip")
        throw InputError(where + ": rule '" + rule + "' is not valid; use check or skip" + fix);
      r.checked = rule == "check";
      r.why = f.count("why") ? f.at("why") : "";
    }
    if (r.cell_keys.empty() || r.cell_keys[0].empty() || r.direction.empty() || r.metric.empty())
      throw InputError(where + ": cell key, direction and metric must not be empty" + fix);
    auto [it, fresh] = seen.emplace(key_of(r), r.line);
    if (!fresh)
      throw InputError(where + ": the same experiment, method, dataset, bits, direction and metric as line " +
                       std::to_string(it->second) + "; keep one" + fix);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string reference_csv(const std::vector<ReferenceRow>& rows, const std::vector<std::string>& comments) {
  std::string s =
      "# cmhbench reference values for `cmhbench check` (format: results/reference/README.md).\n"
      "# Written by: cmhbench check DB… --against THIS_FILE --update (from several runs of the grid).\n";
  for (const auto& c : comments) s += "# " + c + "\n";
  s += csv_row(kColumns);
  for (const auto& r : rows) {
    std::vector<std::string> seeds;
    for (auto x : r.seeds) seeds.push_back(std::to_string(x));
    s += csv_row({r.experiment, r.method, r.dataset, std::to_string(r.bits), r.direction, r.metric, join(seeds, " "),
                  join(r.cell_keys, " "), std::to_string(r.runs), num17(r.mean), r.noise ? num17(*r.noise) : "",
                  r.band ? num17(*r.band) : "", r.checked ? "check" : "skip", r.why});
  }
  return s;
}

std::vector<ReferenceRow> select_rows(const std::vector<ReferenceRow>& rows, const std::string& only) {
  std::map<std::string, std::set<std::string>> want;
  std::istringstream in(only);
  for (std::string item; std::getline(in, item, ',');) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : item.substr(0, eq);
    if (eq == std::string::npos || (key != "method" && key != "label" && key != "dataset" && key != "bits"))
      throw InputError("check --only '" + item + "': expected key=value with key one of: bits, dataset, label, method " +
                       "(a reference row covers all seeds of its group, so there is no seed key)");
    want[key == "label" ? "method" : key].insert(item.substr(eq + 1));
  }
  std::vector<ReferenceRow> out;
  for (const auto& r : rows) {
    auto ok = [&](const std::string& key, const std::string& value) {
      auto it = want.find(key);
      return it == want.end() || it->second.count(value) > 0;
    };
    if (ok("method", r.method) && ok("dataset", r.dataset) && ok("bits", std::to_string(r.bits))) out.push_back(r);
  }
  return out;
}

CheckResult check_against(const store::Store& db, const std::vector<ReferenceRow>& reference, double tolerance) {
  CheckResult res;
  const auto runs = db.runs();
  std::map<std::string, const store::RunRow*> by_key;
  for (const auto& r : runs) by_key[r.record.cell_key] = &r;
  std::map<int64_t, std::map<std::pair<std::string, std::string>, double>> metrics;
  std::set<std::string> experiments, referenced;
  auto metrics_of = [&](int64_t id) -> const std::map<std::pair<std::string, std::string>, double>& {
    if (!metrics.count(id)) {
      auto& m = metrics[id];
      for (const auto& x : db.metrics(id)) m[{x.direction, x.name}] = x.value;
    }
    return metrics[id];
  };

  for (const auto& ref : reference) {
    experiments.insert(ref.experiment);
    CheckRow row;
    row.ref = ref;
    row.band = ref.band ? *ref.band : tolerance;
    double sum = 0;
    for (size_t i = 0; i < ref.cell_keys.size() && row.detail.empty(); ++i) {
      const std::string& key = ref.cell_keys[i];
      const std::string seed = "seed " + std::to_string(ref.seeds[i]) + " [key " + key + "]";
      auto it = by_key.find(key);
      if (it == by_key.end()) {
        row.outcome = Outcome::Missing;
        row.detail = seed + ": no run with this cell key in the database";
        for (const auto& r : runs) {
          const auto& rec = r.record;
          if (rec.experiment == ref.experiment && rec.method == ref.method && rec.dataset == ref.dataset &&
              rec.bits == ref.bits && rec.seed == ref.seeds[i]) {
            row.detail += "; a run of the same description has key " + rec.cell_key +
                          " (its parameters, data or evaluation grid changed: if intended, --update the reference)";
            break;
          }
        }
        if (row.detail.find("same description") == std::string::npos)
          row.detail += " (run the experiment first, or --update the reference if the cell was removed)";
      } else if (it->second->status != "done") {
        row.outcome = Outcome::NotDone;
        row.detail = seed + (it->second->status == "failed" ? ": the cell failed: " + it->second->error
                                                            : ": the cell is still " + it->second->status);
      } else {
        const auto& m = metrics_of(it->second->id);
        auto v = m.find({ref.direction, ref.metric});
        if (v == m.end()) {
          row.outcome = Outcome::NoMetric;
          row.detail = seed + ": the run stored no " + ref.direction + " " + ref.metric;
        } else if (!std::isfinite(v->second)) {
          row.outcome = Outcome::NotANumber;
          row.detail = seed + ": the run stored " + ref.direction + " " + ref.metric +
                       " as NaN (not a number: the metric could not be computed, e.g. a NaN in the codes' inputs)";
        } else {
          sum += v->second;
        }
      }
    }
    // Every key counts as referenced, also those after a seed that failed: they are not "new cells".
    for (const auto& k : ref.cell_keys) referenced.insert(k);
    if (row.detail.empty()) {
      row.measured = sum / static_cast<double>(ref.cell_keys.size());
      row.delta = *row.measured - ref.mean;
      if (!ref.checked) row.outcome = Outcome::Skipped;
      else if (row.delta < -row.band - kEpsilon) row.outcome = Outcome::Regressed;
      else if (row.delta > row.band + kEpsilon) row.outcome = Outcome::Improved;
      else row.outcome = Outcome::Pass;
    }
    switch (row.outcome) {
      case Outcome::Pass: ++res.passed; break;
      case Outcome::Improved: ++res.improved; break;
      case Outcome::Regressed: ++res.regressed; break;
      case Outcome::Skipped: ++res.skipped; break;
      default: ++res.missing;
    }
    res.rows.push_back(std::move(row));
  }
  for (const auto& r : runs)
    if (r.status == "done" && experiments.count(r.record.experiment) && !referenced.count(r.record.cell_key))
      res.unreferenced.push_back(r.record.method + " · " + r.record.dataset + " · " + std::to_string(r.record.bits) +
                                 " bits · seed " + std::to_string(r.record.seed) + " [key " + r.record.cell_key + "]");
  return res;
}

std::string format_check(const CheckResult& r, double tolerance, bool brief) {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line, "%-9s  %-34s %-5s %-14s %9s %9s %9s %7s\n", "result", "group", "dir", "metric",
                "reference", "measured", "delta", "band");
  s += line;
  for (const auto& row : r.rows) {
    if (brief && (row.outcome == Outcome::Pass || row.outcome == Outcome::Skipped)) continue;
    const ReferenceRow& ref = row.ref;
    const std::string group = ref.method + " " + ref.dataset + " " + std::to_string(ref.bits) + "b " + seeds_short(ref.seeds);
    std::snprintf(line, sizeof line, "%-9s  %-34s %-5s %-14s %9s %9s %9s %7s\n", outcome_name(row.outcome),
                  group.c_str(), ref.direction.c_str(), ref.metric.c_str(), f4(ref.mean).c_str(),
                  row.measured ? f4(*row.measured).c_str() : "-", row.measured ? signed4(row.delta).c_str() : "-",
                  ref.checked ? f4(row.band).c_str() : "-");
    s += line;
  }
  // A missing or unfinished cell fails every value it holds: say so once per cell.
  std::map<std::string, int> per_detail;
  for (const auto& row : r.rows)
    if (row.outcome == Outcome::Missing || row.outcome == Outcome::NotDone) ++per_detail[row.detail];
  std::set<std::string> described;
  std::string details;
  for (const auto& row : r.rows) {
    const ReferenceRow& ref = row.ref;
    const std::string what = group_name(ref) + ", " + ref.direction + " " + ref.metric;
    const std::string mean = ref.seeds.size() > 1 ? "mean over " + std::to_string(ref.seeds.size()) + " seeds " : "measured ";
    const std::string noise = ref.noise ? "; measured noise " + g3(*ref.noise) : "";
    switch (row.outcome) {
      case Outcome::Regressed:
        details += "REGRESSION: " + what + ": " + mean + f4(*row.measured) + " < reference " + f4(ref.mean) +
                   " − band " + f4(row.band) + " (delta " + signed4(row.delta) + noise + ")\n";
        break;
      case Outcome::Improved:
        details += "improvement: " + what + ": " + mean + f4(*row.measured) + " > reference " + f4(ref.mean) +
                   " + band " + f4(row.band) + " (delta " + signed4(row.delta) + noise +
                   "); if intended, --update the reference\n";
        break;
      case Outcome::Missing:
      case Outcome::NotDone:
        if (!described.insert(row.detail).second) break;
        details += std::string(outcome_name(row.outcome)) + ": " + ref.method + " · " + ref.dataset + " · " +
                   std::to_string(ref.bits) + " bits, " + row.detail + " (" + std::to_string(per_detail[row.detail]) +
                   " reference values)\n";
        break;
      case Outcome::NoMetric:
      case Outcome::NotANumber:
        details += std::string(outcome_name(row.outcome)) + ": " + what + ": " + row.detail + "\n";
        break;
      case Outcome::Pass:
      case Outcome::Skipped: break;
    }
  }
  if (!details.empty()) s += "\n" + details;
  if (!r.unreferenced.empty()) {
    s += "\nnot in the reference (new cells, not checked):\n";
    for (const auto& u : r.unreferenced) s += "  " + u + "\n";
  }
  char verdict[320];
  std::snprintf(verdict, sizeof verdict,
                "\ncheck: %s — %zu values: %d pass, %d improved, %d regressed, %d missing, not done or NaN, "
                "%d not checked (rule skip) (band of rows without one: %.4f)\n",
                r.ok() ? "OK" : "FAILED", r.rows.size(), r.passed, r.improved, r.regressed, r.missing, r.skipped,
                tolerance);
  s += verdict;
  return s;
}

namespace {

// One database's view for --update: per group, per seed, the run and its metrics.
struct GroupKey {
  std::string experiment, method, dataset;
  int bits;
  bool operator<(const GroupKey& o) const {
    return std::tie(experiment, method, dataset, bits) < std::tie(o.experiment, o.method, o.dataset, o.bits);
  }
};
struct SeedRun {
  std::string key;
  std::map<std::pair<std::string, std::string>, double> metrics;  // (direction, name) → value
};
using DbView = std::map<GroupKey, std::map<int64_t, SeedRun>>;

std::string group_text(const GroupKey& g) {
  return g.method + " · " + g.dataset + " · " + std::to_string(g.bits) + " bits (experiment " + g.experiment + ")";
}

// `run_line` gets where and how the database's runs ran (float order, revision, host).
DbView view_of(const store::Store& db, const std::set<std::string>& experiments, std::vector<std::string>& skipped,
               std::string& run_line) {
  const auto all = db.runs();
  std::set<std::string> hosts, floats;
  // Only the latest run of each cell description: an older run under the same label with other
  // parameters (another key) would be a row no fresh database can satisfy.
  std::map<std::tuple<std::string, std::string, std::string, int, int64_t>, int64_t> latest;
  for (const auto& run : all) {
    const auto& rec = run.record;
    latest[{rec.experiment, rec.method, rec.dataset, rec.bits, rec.seed}] = run.id;  // ordered by id
  }
  DbView view;
  for (const auto& run : all) {
    const auto& rec = run.record;
    if (!experiments.empty() && !experiments.count(rec.experiment)) continue;
    hosts.insert(rec.host);
    floats.insert("threads " + std::to_string(rec.threads) + ", cpu capability " +
                  cpu_capability_of(rec.library_versions_json) + ", revision " + rec.code_revision);
    const std::string cell = db.path() + ": " + rec.method + " · " + rec.dataset + " · " + std::to_string(rec.bits) +
                             " bits · seed " + std::to_string(rec.seed) + " [key " + rec.cell_key + "]";
    if (latest[{rec.experiment, rec.method, rec.dataset, rec.bits, rec.seed}] != run.id) {
      skipped.push_back(cell + ": superseded by a later run of the same description");
      continue;
    }
    if (run.status != "done") {
      skipped.push_back(cell + ": " + run.status + (run.error.empty() ? "" : " (" + run.error + ")"));
      continue;
    }
    SeedRun sr;
    sr.key = rec.cell_key;
    for (const auto& m : db.metrics(run.id)) {
      if (!is_compared_metric(m.name)) continue;
      if (!std::isfinite(m.value))
        throw InputError("check --update: " + cell + " stored " + m.direction + " " + m.name +
                         " as NaN; refusing to write a reference no run can pass (fix the cause, or leave this "
                         "database out)");
      sr.metrics[{m.direction, m.name}] = m.value;
    }
    view[{rec.experiment, rec.method, rec.dataset, rec.bits}][rec.seed] = std::move(sr);
  }
  run_line = db.path() + ": " + join(std::vector<std::string>(floats.begin(), floats.end()), "; ") + " (host " +
             join(std::vector<std::string>(hosts.begin(), hosts.end()), ", ") + ")";
  return view;
}

}  // namespace

std::vector<ReferenceRow> reference_from_dbs(const std::vector<const store::Store*>& dbs,
                                             const std::set<std::string>& experiments, const BandRule& rule,
                                             UpdateReport& report) {
  if (dbs.empty()) throw InputError("check --update: no database given");
  std::vector<DbView> views;
  for (const auto* db : dbs) {
    report.runs.emplace_back();
    views.push_back(view_of(*db, experiments, report.skipped, report.runs.back()));
  }
  // Every database must hold the same grid: the same groups, seeds and cell keys.
  const DbView& first = views[0];
  for (size_t d = 1; d < views.size(); ++d) {
    const std::string a = dbs[0]->path(), b = dbs[d]->path();
    auto refuse = [&](const std::string& what) {
      throw InputError("check --update: " + what + "; the databases must be runs of the same experiment file at the "
                       "same code revision (only the float order differs: --threads, ATEN_CPU_CAPABILITY, …)");
    };
    for (const auto& [g, seeds] : first) {
      auto it = views[d].find(g);
      if (it == views[d].end()) refuse(group_text(g) + " is done in '" + a + "' but not in '" + b + "'");
      for (const auto& [seed, sr] : seeds) {
        auto s = it->second.find(seed);
        if (s == it->second.end()) refuse(group_text(g) + " seed " + std::to_string(seed) + " is done in '" + a + "' but not in '" + b + "'");
        if (s->second.key != sr.key)
          refuse(group_text(g) + " seed " + std::to_string(seed) + " has key " + sr.key + " in '" + a + "' but " +
                 s->second.key + " in '" + b + "' (other parameters or data)");
      }
      if (it->second.size() != seeds.size()) refuse(group_text(g) + " has other seeds in '" + b + "' than in '" + a + "'");
    }
    for (const auto& [g, seeds] : views[d])
      if (!first.count(g)) refuse(group_text(g) + " is done in '" + b + "' but not in '" + a + "'");
  }

  const double runs = static_cast<double>(views.size());
  std::vector<ReferenceRow> rows;
  for (const auto& [g, seeds] : first) {
    const auto& seed0 = seeds.begin()->second;
    for (const auto& [metric, unused] : seed0.metrics) {
      (void)unused;
      ReferenceRow r;
      r.experiment = g.experiment;
      r.method = g.method;
      r.dataset = g.dataset;
      r.bits = g.bits;
      r.direction = metric.first;
      r.metric = metric.second;
      r.runs = static_cast<int>(views.size());
      for (const auto& [seed, sr] : seeds) {
        r.seeds.push_back(seed);
        r.cell_keys.push_back(sr.key);
      }
      // v[d][s]: database d, seed s.
      std::vector<std::vector<double>> v;
      for (size_t d = 0; d < views.size(); ++d) {
        std::vector<double> row;
        for (const auto& [seed, sr] : views[d].at(g)) {
          auto it = sr.metrics.find(metric);
          if (it == sr.metrics.end())
            throw InputError("check --update: " + group_text(g) + " seed " + std::to_string(seed) + " in '" +
                             dbs[d]->path() + "' stored no " + metric.first + " " + metric.second +
                             ", which other runs of the group did; the runs must be of one code revision");
          row.push_back(it->second);
        }
        v.push_back(std::move(row));
      }
      const double seeds_n = static_cast<double>(r.seeds.size());
      std::vector<double> run_means;
      double total = 0;
      for (const auto& row : v) {
        double s = 0;
        for (double x : row) s += x;
        run_means.push_back(s / seeds_n);
        total += s;
      }
      r.mean = total / (runs * seeds_n);
      // The spread of the seed mean across float orders (databases), and the seed-to-seed spread
      // within a database scaled to a mean of this many seeds. Training that is chaotic in float
      // order moves like a new seed on another machine, so the larger of the two is the noise.
      double float_sd = 0, seed_sd = 0;
      if (views.size() > 1) {
        double ss = 0;
        for (double m : run_means) ss += (m - r.mean) * (m - r.mean);
        float_sd = std::sqrt(ss / (runs - 1));
      }
      if (seeds.size() > 1) {
        double ss = 0;
        for (size_t d = 0; d < v.size(); ++d)
          for (double x : v[d]) ss += (x - run_means[d]) * (x - run_means[d]);
        seed_sd = std::sqrt(ss / (runs * (seeds_n - 1))) / std::sqrt(seeds_n);
      }
      if (views.size() == 1 && seeds.size() == 1) {
        r.band = rule.fallback;
        r.why = "one run of one seed: no spread measured, band = " + g3(rule.fallback);
        rows.push_back(std::move(r));
        continue;
      }
      const double noise = std::max(float_sd, seed_sd);
      r.noise = noise;
      const double raw = rule.sigmas * noise * std::sqrt(1 + 1 / runs);
      std::string how = "noise " + g3(noise) + " = max(float-order SD " + g3(float_sd) + " over " +
                        std::to_string(views.size()) + " runs, seed SD/√" + std::to_string(seeds.size()) + " " +
                        g3(seed_sd) + ")";
      if (raw <= rule.floor) {
        r.band = rule.floor;
        r.why = how + "; " + g3(rule.sigmas) + "σ = " + g3(raw) + " ≤ floor " + g3(rule.floor);
      } else if (raw > rule.max_band) {
        r.band = raw;
        r.checked = false;
        r.why = "not checked: " + how + "; a " + g3(rule.sigmas) + "σ band of " + g3(raw) + " exceeds " +
                g3(rule.max_band) + ", too wide to tell a regression from noise on this set";
      } else {
        r.band = raw;
        r.why = how + "; band " + g3(rule.sigmas) + "σ·√(1+1/runs)";
      }
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

std::string reference_diff(const std::vector<ReferenceRow>& before, const std::vector<ReferenceRow>& after) {
  std::map<RowKey, const ReferenceRow*> old_rows, new_rows;
  for (const auto& r : before) old_rows[key_of(r)] = &r;
  for (const auto& r : after) new_rows[key_of(r)] = &r;
  std::string s;
  int added = 0, removed = 0, changed = 0, same = 0;
  auto name = [](const ReferenceRow& r) { return group_name(r) + " " + r.direction + " " + r.metric; };
  auto band = [](const ReferenceRow& r) {
    return r.checked ? (r.band ? f4(*r.band) : std::string("--tolerance")) : std::string("skip");
  };
  for (const auto& r : after) {
    auto it = old_rows.find(key_of(r));
    if (it == old_rows.end()) {
      s += "+ " + name(r) + " = " + f4(r.mean) + " ± " + band(r) + "\n";
      ++added;
    } else if (it->second->mean != r.mean || band(*it->second) != band(r) || it->second->cell_keys != r.cell_keys) {
      s += "~ " + name(r) + ": " + f4(it->second->mean) + " -> " + f4(r.mean) + " (" +
           signed4(r.mean - it->second->mean) + "), band " + band(*it->second) + " -> " + band(r) + "\n";
      ++changed;
    } else {
      ++same;
    }
  }
  for (const auto& r : before)
    if (!new_rows.count(key_of(r))) {
      s += "- " + name(r) + " (was " + f4(r.mean) + ")\n";
      ++removed;
    }
  s += std::to_string(added) + " added, " + std::to_string(removed) + " removed, " + std::to_string(changed) +
       " changed, " + std::to_string(same) + " unchanged\n";
  return s;
}

}  // namespace cmh::plots
