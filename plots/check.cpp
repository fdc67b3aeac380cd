// Regression checks against reference values.
#include "check.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "common/error.h"
#include "csv.h"
#include "store/store.h"

namespace cmh::plots {
namespace {

const std::vector<std::string> kColumns = {"experiment", "cell_key", "method", "dataset", "bits", "seed",
                                           "direction", "metric", "value", "tolerance"};

// Differences this small are floating-point noise, not a change of the metric.
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

std::string signed4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.4f", v);
  return b;
}

std::string cell_name(const ReferenceRow& r) {
  return r.method + " · " + r.dataset + " · " + std::to_string(r.bits) + " bits · seed " + std::to_string(r.seed);
}

using RowKey = std::tuple<std::string, std::string, std::string>;  // cell key, direction, metric
RowKey key_of(const ReferenceRow& r) { return {r.cell_key, r.direction, r.metric}; }

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Pass: return "pass";
    case Outcome::Improved: return "IMPROVED";
    case Outcome::Regressed: return "REGRESSED";
    case Outcome::Missing: return "MISSING";
    case Outcome::NotDone: return "NOT DONE";
    case Outcome::NoMetric: return "NO METRIC";
  }
  return "?";
}

std::vector<ReferenceRow> read_reference(const std::string& path) {
  const CsvTable t = read_csv_file(path, "reference");
  const std::string fix = "; fix the file or rewrite it with `cmhbench check DB --against " + path + " --update`";
  for (const auto& c : kColumns) {
    if (c == "tolerance") continue;
    bool found = false;
    for (const auto& h : t.header) found |= h == c;
    if (!found)
      throw InputError("reference '" + path + "': no column '" + c + "'; the header must be " +
                       "experiment,cell_key,method,dataset,bits,seed,direction,metric,value[,tolerance]" + fix);
  }
  std::vector<ReferenceRow> rows;
  std::map<RowKey, int> seen;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& f = t.rows[i];
    ReferenceRow r;
    r.line = t.lines[i];
    const std::string where = "reference '" + path + "' line " + std::to_string(r.line);
    r.experiment = f.at("experiment");
    r.cell_key = f.at("cell_key");
    r.method = f.at("method");
    r.dataset = f.at("dataset");
    r.direction = f.at("direction");
    r.metric = f.at("metric");
    if (r.cell_key.empty() || r.direction.empty() || r.metric.empty())
      throw InputError(where + ": cell_key, direction and metric must not be empty" + fix);
    auto number = [&](const std::string& col, const std::string& text) {
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
    };
    r.bits = static_cast<int>(number("bits", f.at("bits")));
    r.seed = static_cast<int64_t>(number("seed", f.at("seed")));
    r.value = number("value", f.at("value"));
    if (f.count("tolerance") && !f.at("tolerance").empty()) {
      r.tolerance = number("tolerance", f.at("tolerance"));
      if (*r.tolerance < 0) throw InputError(where + ": tolerance must be ≥ 0" + fix);
    }
    auto [it, fresh] = seen.emplace(key_of(r), r.line);
    if (!fresh)
      throw InputError(where + ": the same cell key, direction and metric as line " + std::to_string(it->second) +
                       "; keep one" + fix);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string reference_csv(const std::vector<ReferenceRow>& rows) {
  std::string s =
      "# cmhbench reference values for `cmhbench check` (format: results/reference/README.md).\n"
      "# Rewrite with: cmhbench check DB --against THIS_FILE --update. Empty tolerance = --tolerance.\n";
  s += csv_row(kColumns);
  for (const auto& r : rows)
    s += csv_row({r.experiment, r.cell_key, r.method, r.dataset, std::to_string(r.bits), std::to_string(r.seed),
                  r.direction, r.metric, num17(r.value), r.tolerance ? num17(*r.tolerance) : ""});
  return s;
}

CheckResult check_against(const store::Store& db, const std::vector<ReferenceRow>& reference, double tolerance) {
  CheckResult res;
  const auto runs = db.runs();
  std::map<std::string, const store::RunRow*> by_key;
  for (const auto& r : runs) by_key[r.record.cell_key] = &r;
  std::map<int64_t, std::map<std::pair<std::string, std::string>, double>> metrics;
  std::set<std::string> experiments, referenced;

  for (const auto& ref : reference) {
    experiments.insert(ref.experiment);
    referenced.insert(ref.cell_key);
    CheckRow row;
    row.ref = ref;
    row.tolerance = ref.tolerance ? *ref.tolerance : tolerance;
    auto it = by_key.find(ref.cell_key);
    if (it == by_key.end()) {
      row.outcome = Outcome::Missing;
      row.detail = "no run with cell key " + ref.cell_key + " in the database";
      for (const auto& r : runs) {
        const auto& rec = r.record;
        if (rec.experiment == ref.experiment && rec.method == ref.method && rec.dataset == ref.dataset &&
            rec.bits == ref.bits && rec.seed == ref.seed) {
          row.detail += "; a run of the same description has key " + rec.cell_key +
                        " (its parameters, data or evaluation grid changed: if intended, --update the reference)";
          break;
        }
      }
      if (row.detail.find("same description") == std::string::npos)
        row.detail += " (run the experiment first, or --update the reference if the cell was removed)";
    } else if (it->second->status != "done") {
      row.outcome = Outcome::NotDone;
      row.detail = it->second->status == "failed" ? "the cell failed: " + it->second->error : "the cell is still running";
    } else {
      const int64_t id = it->second->id;
      if (!metrics.count(id)) {
        auto& m = metrics[id];
        for (const auto& x : db.metrics(id)) m[{x.direction, x.name}] = x.value;
      }
      auto m = metrics[id].find({ref.direction, ref.metric});
      if (m == metrics[id].end()) {
        row.outcome = Outcome::NoMetric;
        row.detail = "the run stored no " + ref.direction + " " + ref.metric;
      } else {
        row.measured = m->second;
        row.delta = m->second - ref.value;
        if (row.delta < -row.tolerance - kEpsilon) row.outcome = Outcome::Regressed;
        else if (row.delta > row.tolerance + kEpsilon) row.outcome = Outcome::Improved;
        else row.outcome = Outcome::Pass;
      }
    }
    switch (row.outcome) {
      case Outcome::Pass: ++res.passed; break;
      case Outcome::Improved: ++res.improved; break;
      case Outcome::Regressed: ++res.regressed; break;
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
  std::snprintf(line, sizeof line, "%-9s  %-44s %-5s %-22s %9s %9s %9s %7s\n", "result", "cell [key]", "dir", "metric",
                "reference", "measured", "delta", "tol");
  s += line;
  for (const auto& row : r.rows) {
    if (brief && row.outcome == Outcome::Pass) continue;
    const ReferenceRow& ref = row.ref;
    const std::string cell = ref.method + " " + ref.dataset + " " + std::to_string(ref.bits) + "b s" +
                             std::to_string(ref.seed) + " [" + ref.cell_key + "]";
    std::snprintf(line, sizeof line, "%-9s  %-44s %-5s %-22s %9s %9s %9s %7s\n", outcome_name(row.outcome),
                  cell.c_str(), ref.direction.c_str(), ref.metric.c_str(), f4(ref.value).c_str(),
                  row.measured ? f4(*row.measured).c_str() : "-", row.measured ? signed4(row.delta).c_str() : "-",
                  f4(row.tolerance).c_str());
    s += line;
  }
  // A missing or unfinished cell fails every value it holds: say so once per cell.
  std::map<std::string, int> per_cell;
  for (const auto& row : r.rows)
    if (row.outcome == Outcome::Missing || row.outcome == Outcome::NotDone) ++per_cell[row.ref.cell_key];
  std::set<std::string> described;
  std::string details;
  for (const auto& row : r.rows) {
    const ReferenceRow& ref = row.ref;
    const std::string what = cell_name(ref) + " [key " + ref.cell_key + "], " + ref.direction + " " + ref.metric;
    switch (row.outcome) {
      case Outcome::Regressed:
        details += "REGRESSION: " + what + ": measured " + f4(*row.measured) + " < reference " + f4(ref.value) +
                   " − tolerance " + f4(row.tolerance) + " (delta " + signed4(row.delta) + ")\n";
        break;
      case Outcome::Improved:
        details += "improvement: " + what + ": measured " + f4(*row.measured) + " > reference " + f4(ref.value) +
                   " + tolerance " + f4(row.tolerance) + " (delta " + signed4(row.delta) +
                   "); if intended, --update the reference\n";
        break;
      case Outcome::Missing:
      case Outcome::NotDone:
        if (!described.insert(ref.cell_key).second) break;
        details += std::string(outcome_name(row.outcome)) + ": " + cell_name(ref) + " [key " + ref.cell_key +
                   "] (" + std::to_string(per_cell[ref.cell_key]) + " reference values): " + row.detail + "\n";
        break;
      case Outcome::NoMetric:
        details += std::string(outcome_name(row.outcome)) + ": " + what + ": " + row.detail + "\n";
        break;
      case Outcome::Pass: break;
    }
  }
  if (!details.empty()) s += "\n" + details;
  if (!r.unreferenced.empty()) {
    s += "\nnot in the reference (new cells, not checked):\n";
    for (const auto& u : r.unreferenced) s += "  " + u + "\n";
  }
  char verdict[256];
  std::snprintf(verdict, sizeof verdict,
                "\ncheck: %s — %zu values: %d pass, %d improved, %d regressed, %d missing or not done "
                "(default tolerance %.4f)\n",
                r.ok() ? "OK" : "FAILED", r.rows.size(), r.passed, r.improved, r.regressed, r.missing, tolerance);
  s += verdict;
  return s;
}

std::vector<ReferenceRow> reference_from_db(const store::Store& db, const std::set<std::string>& experiments,
                                            const std::vector<ReferenceRow>& previous,
                                            std::vector<std::string>& skipped) {
  std::map<RowKey, double> tolerances;
  for (const auto& p : previous)
    if (p.tolerance) tolerances[key_of(p)] = *p.tolerance;
  // Only the latest run of each cell description: an older run under the same label with other
  // parameters (another key) would be a row no fresh database can satisfy.
  const auto all = db.runs();
  std::map<std::tuple<std::string, std::string, std::string, int, int64_t>, int64_t> latest;
  for (const auto& run : all) {
    const auto& rec = run.record;
    latest[{rec.experiment, rec.method, rec.dataset, rec.bits, rec.seed}] = run.id;  // ordered by id
  }
  std::vector<ReferenceRow> rows;
  for (const auto& run : all) {
    const auto& rec = run.record;
    if (!experiments.empty() && !experiments.count(rec.experiment)) continue;
    if (latest[{rec.experiment, rec.method, rec.dataset, rec.bits, rec.seed}] != run.id) {
      skipped.push_back(rec.method + " · " + rec.dataset + " · " + std::to_string(rec.bits) + " bits · seed " +
                        std::to_string(rec.seed) + " [key " + rec.cell_key + "]: superseded by a later run of the "
                        "same description");
      continue;
    }
    if (run.status != "done") {
      skipped.push_back(rec.method + " · " + rec.dataset + " · " + std::to_string(rec.bits) + " bits · seed " +
                        std::to_string(rec.seed) + " [key " + rec.cell_key + "]: " + run.status +
                        (run.error.empty() ? "" : " (" + run.error + ")"));
      continue;
    }
    for (const auto& m : db.metrics(run.id)) {
      // Counts are data properties, not quality, and the reference-code mAP variant duplicates
      // mAP@R: neither would say "regression" meaningfully.
      if (m.name == "queries_without_relevant" || m.name.rfind("map_at_k_reference", 0) == 0) continue;
      ReferenceRow r;
      r.experiment = rec.experiment;
      r.cell_key = rec.cell_key;
      r.method = rec.method;
      r.dataset = rec.dataset;
      r.bits = rec.bits;
      r.seed = rec.seed;
      r.direction = m.direction;
      r.metric = m.name;
      r.value = m.value;
      auto t = tolerances.find(key_of(r));
      if (t != tolerances.end()) r.tolerance = t->second;
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
  auto name = [](const ReferenceRow& r) { return cell_name(r) + " [key " + r.cell_key + "] " + r.direction + " " + r.metric; };
  for (const auto& r : after) {
    auto it = old_rows.find(key_of(r));
    if (it == old_rows.end()) {
      s += "+ " + name(r) + " = " + f4(r.value) + "\n";
      ++added;
    } else if (it->second->value != r.value) {
      s += "~ " + name(r) + ": " + f4(it->second->value) + " -> " + f4(r.value) + " (" + signed4(r.value - it->second->value) + ")\n";
      ++changed;
    } else {
      ++same;
    }
  }
  for (const auto& r : before)
    if (!new_rows.count(key_of(r))) {
      s += "- " + name(r) + " (was " + f4(r.value) + ")\n";
      ++removed;
    }
  s += std::to_string(added) + " added, " + std::to_string(removed) + " removed, " + std::to_string(changed) +
       " changed, " + std::to_string(same) + " unchanged\n";
  return s;
}

}  // namespace cmh::plots
