// Loading runs for reports and checks; grouping into cells; provenance lines.
#include "results.h"

#include <algorithm>
#include <limits>
#include <cmath>
#include <ctime>

#include "common/error.h"
#include "common/json_value.h"
#include "store/store.h"

namespace cmh::plots {

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd m;
  double s = 0;
  for (double v : values) s += v;
  m.mean = s / static_cast<double>(values.size());
  if (values.size() < 2) return m;
  double ss = 0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
  return m;
}

void CellStat::summarise() {
  if (values.empty()) return;
  const MeanSd m = mean_sd(values);
  mean = m.mean;
  std = m.sd;
}

std::string direction_label(const std::string& d) {
  if (d == "i2t") return "I→T";
  if (d == "t2i") return "T→I";
  if (d == "i2i") return "I→I";
  if (d == "t2t") return "T→T";
  return d;
}

std::string direction_words(const std::string& d) {
  if (d == "i2t") return "image → text";
  if (d == "t2i") return "text → image";
  if (d == "i2i") return "image → image";
  if (d == "t2t") return "text → text";
  return d;
}

int direction_rank(const std::string& d) {
  static const char* order[] = {"i2t", "t2i", "i2i", "t2t"};
  for (int i = 0; i < 4; ++i)
    if (d == order[i]) return i;
  return 4;
}

std::string dataset_base(const std::string& dataset) {
  const size_t p = dataset.find(" (");
  return p == std::string::npos ? dataset : dataset.substr(0, p);
}

std::optional<double> RunInfo::metric(const std::string& direction, const std::string& name) const {
  auto it = metrics.find({direction, name});
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

std::string RunInfo::synthetic_modalities() const {
  if (synthetic_image && synthetic_text) return "synthetic image and text";
  if (synthetic_image) return "synthetic image";
  if (synthetic_text) return "synthetic text";
  return "";
}

std::string CellStat::status_word() const {
  if (runs.empty()) return "—";
  if (failed && running) return "failed/running";
  if (failed) return "failed";
  if (running) return "running";
  return "no value";  // done, but the metric is absent
}

std::string ResultSet::row_of(const RunInfo& r) const {
  std::string row = r.display;
  if (r.label != r.method) row += " [" + r.label + "]";
  if (multiple_experiments()) row += " (" + r.experiment + ")";
  return row;
}

std::vector<int> ResultSet::bits_of(const std::string& dataset) const {
  std::set<int> b;
  for (const auto& r : runs)
    if (r.dataset == dataset) b.insert(r.bits);
  return {b.begin(), b.end()};
}

std::vector<std::string> ResultSet::directions() const {
  std::set<std::string> d;
  for (const auto& r : runs)
    for (const auto& [k, v] : r.metrics) d.insert(k.first);
  std::vector<std::string> out(d.begin(), d.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return direction_rank(a) < direction_rank(b); });
  return out;
}

std::vector<const RunInfo*> ResultSet::cell_runs(const std::string& row, const std::string& dataset, int bits) const {
  std::vector<const RunInfo*> out;
  for (const auto& r : runs)
    if (r.dataset == dataset && r.bits == bits && r.row == row) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const RunInfo* a, const RunInfo* b) { return a->seed < b->seed; });
  return out;
}

CellStat ResultSet::cell(const std::string& row, const std::string& dataset, int bits, const std::string& direction,
                         const std::string& metric) const {
  CellStat c;
  c.runs = cell_runs(row, dataset, bits);
  for (const RunInfo* r : c.runs) {
    if (r->status == "done") {
      ++c.done;
      if (auto v = r->metric(direction, metric)) c.values.push_back(*v);
    } else if (r->status == "failed") {
      ++c.failed;
    } else {
      ++c.running;
    }
  }
  c.summarise();
  return c;
}

ResultSet load_results(const store::Store& db, const std::string& experiment) {
  ResultSet rs;
  rs.db_path = db.path();
  const auto all = db.runs();
  if (!experiment.empty()) {
    std::set<std::string> names;
    bool found = false;
    for (const auto& r : all) {
      names.insert(r.record.experiment);
      found |= r.record.experiment == experiment;
    }
    if (!found)
      throw InputError("experiment '" + experiment + "' is not in '" + db.path() + "'; it holds: " +
                       (names.empty() ? std::string("no runs") : join(names)) +
                       " (pass one of these to --experiment, or leave it out)");
  }

  // The latest run of each cell description wins: an older run with other parameters (another
  // key) under the same label would otherwise count as an extra seed.
  std::map<std::tuple<std::string, std::string, std::string, int, int64_t>, size_t> latest;
  for (const auto& row : all) {
    const auto& rec = row.record;
    if (!experiment.empty() && rec.experiment != experiment) continue;
    RunInfo r;
    r.id = row.id;
    r.experiment = rec.experiment;
    r.cell_key = rec.cell_key;
    r.label = rec.method;
    r.method = rec.method;
    r.dataset = rec.dataset;
    r.bits = rec.bits;
    r.seed = rec.seed;
    r.status = row.status;
    r.error = row.error;
    r.started = row.started;
    r.finished = row.finished;
    r.code_revision = rec.code_revision;
    r.threads = rec.threads;
    try {
      const JsonValue cell = JsonValue::parse(rec.cell_json);
      r.method = cell["method"]["name"].str(r.method);
    } catch (const std::exception&) {
      // A hand-made row without a cell description: the label stands for the method.
    }
    try {
      const JsonValue p = JsonValue::parse(rec.protocol_json);
      r.synthetic_image = p["synthetic_image"].boolean();
      r.synthetic_text = p["synthetic_text"].boolean();
      r.image_source = p["image_source"].str();
      r.text_source = p["text_source"].str();
      r.selection = p["selection"].str();
      r.selection_peeks_at_test = p["selection_peeks_at_test"].boolean();
      if (r.selection_peeks_at_test) r.selection += " (chosen on the test queries: optimistic)";
      r.tie_rule = p["tie_rule"].str();
      r.split = p["split"].str();
      for (const auto& n : p["notes"].items()) r.notes.push_back(n.str());
      if (p.has("method")) {
        r.display = p["method"]["display"].str();
        r.rank = static_cast<int>(p["method"]["rank"].num(-1));
      }
    } catch (const std::exception&) {
      r.notes.push_back("protocol record unreadable");
    }
    if (r.display.empty()) r.display = r.method;  // a store from before runs recorded it
    if (r.status == "done")
      for (const auto& m : db.metrics(r.id)) r.metrics[{m.direction, m.name}] = m.value;
    const auto key = std::make_tuple(r.experiment, r.label, r.dataset, r.bits, r.seed);
    auto it = latest.find(key);
    if (it == latest.end()) {
      latest[key] = rs.runs.size();
      rs.runs.push_back(std::move(r));
    } else {
      ++rs.superseded;
      rs.runs[it->second] = std::move(r);  // runs() is ordered by id: later replaces earlier
    }
  }

  for (auto& r : rs.runs) {
    if (std::find(rs.experiments.begin(), rs.experiments.end(), r.experiment) == rs.experiments.end())
      rs.experiments.push_back(r.experiment);
    if (std::find(rs.datasets.begin(), rs.datasets.end(), r.dataset) == rs.datasets.end())
      rs.datasets.push_back(r.dataset);
  }

  // Rows: registry order, the default entry of a method before its labelled variants.
  struct RowSort {
    int rank;
    bool variant;
    std::string label;
    size_t experiment;
    std::string row;
  };
  std::vector<RowSort> rows;
  std::set<std::string> seen;
  for (auto& r : rs.runs) {
    r.row = rs.row_of(r);  // needs the full experiment list
    const std::string& row = r.row;
    if (!seen.insert(row).second) continue;
    const size_t e = static_cast<size_t>(
        std::find(rs.experiments.begin(), rs.experiments.end(), r.experiment) - rs.experiments.begin());
    // Unrecorded ranks (older stores) sort after every recorded one.
    rows.push_back({r.rank < 0 ? std::numeric_limits<int>::max() : r.rank, r.label != r.method, r.label, e, row});
    rs.row_method[row] = r.method;
    rs.row_display[row] = r.display;
  }
  std::sort(rows.begin(), rows.end(), [](const RowSort& a, const RowSort& b) {
    return std::tie(a.rank, a.variant, a.label, a.experiment) < std::tie(b.rank, b.variant, b.label, b.experiment);
  });
  // Colours: a method's first row keeps the colour of its place in the program's table order in
  // every report; further rows (variants, methods without a recorded place) take the spare
  // colours after them.
  std::set<std::string> coloured;
  int extra = ResultSet::kMethodColours;
  for (const auto& r : rows) {
    rs.rows.push_back(r.row);
    const std::string& m = rs.row_method[r.row];
    if (r.rank < ResultSet::kMethodColours && coloured.insert(m).second) rs.row_colour[r.row] = r.rank;
    else rs.row_colour[r.row] = extra++;
  }
  return rs;
}

std::vector<std::pair<std::string, std::string>> run_notes(const std::vector<const RunInfo*>& runs) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const RunInfo* r : runs)
    for (const auto& n : r->notes)
      seen.insert({r->row, n.rfind(r->method + ": ", 0) == 0 ? n.substr(r->method.size() + 2) : n});
  return {seen.begin(), seen.end()};
}

std::string data_description(const RunInfo& r) {
  std::string d = r.dataset;
  std::vector<std::string> parts;
  if (r.synthetic_image) parts.push_back("image SYNTHETIC" + (r.image_source.empty() ? "" : " (" + r.image_source + ")"));
  if (r.synthetic_text) parts.push_back("text SYNTHETIC" + (r.text_source.empty() ? "" : " (" + r.text_source + ")"));
  if (!parts.empty()) {
    d += ": ";
    for (size_t i = 0; i < parts.size(); ++i) d += (i ? ", " : "") + parts[i];
  }
  return d;
}

Provenance provenance_of(const std::vector<const RunInfo*>& runs, const std::string& generated) {
  Provenance p;
  p.generated = generated;
  for (const RunInfo* r : runs) {
    p.experiments.insert(r->experiment);
    p.data.insert(data_description(*r));
    p.seeds.insert(r->seed);
    if (!r->selection.empty()) p.selection.insert(r->selection);
    if (!r->tie_rule.empty()) p.tie_rule.insert(r->tie_rule);
    if (!r->code_revision.empty()) p.code_revision.insert(r->code_revision);
    const std::string& t = r->finished.empty() ? r->started : r->finished;
    if (t.empty()) continue;
    if (p.first_finished.empty() || t < p.first_finished) p.first_finished = t;
    if (p.last_finished.empty() || t > p.last_finished) p.last_finished = t;
  }
  return p;
}

std::vector<std::pair<std::string, std::string>> Provenance::fields() const {
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("unrecorded") : s; };
  const std::string date = first_finished == last_finished ? first_finished : first_finished + " – " + last_finished;
  std::vector<std::pair<std::string, std::string>> f = {
      {"experiment", or_unknown(join(experiments))}, {"data", or_unknown(join(data, "; "))},
      {"seeds", or_unknown(join(seeds))},            {"selection", or_unknown(join(selection))},
      {"ties", or_unknown(join(tie_rule, "; "))},    {"code", or_unknown(join(code_revision))},
      {"runs", or_unknown(date)}};
  if (!generated.empty()) f.emplace_back("report", generated);
  return f;
}

std::string Provenance::line() const {
  std::string out;
  for (const auto& [name, value] : fields()) out += (out.empty() ? "" : " · ") + name + ": " + value;
  return out;
}

}  // namespace cmh::plots
