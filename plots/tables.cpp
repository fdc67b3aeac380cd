// Tables: building them from a ResultSet and rendering them.
#include "tables.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "csv.h"
#include "harness/bit_scale.h"
#include "eval/metric_names.h"
#include "store/store.h"

namespace cmh::plots {
namespace metric = eval::metric;
namespace {

std::string fmt_signed4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.4f", v);
  std::string s = b;
  if (s[0] == '-') s = "−" + s.substr(1);  // a real minus sign reads better than a hyphen
  return s;
}

std::string fmt_full(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6f", v);
  return b;
}

// The parts of one cell's text, shared by every rendering.
struct CellText {
  std::string value;      // "0.6123 ± 0.0021", or the status word
  bool is_status = false;
  std::string partial;    // "+1 failed" when some seeds have no value
  std::string published;  // "pub. 0.5719, Δ +0.0404" or "pub. 0.5719†"
};

CellText cell_text(const TableCell& c) {
  CellText t;
  const CellStat& s = c.stat;
  if (!s.has_value()) {
    t.value = s.status_word();
    t.is_status = true;
  } else {
    t.value = fmt4(s.mean);
    if (s.values.size() > 1) t.value += " ± " + fmt4(s.std);
    std::vector<std::string> p;
    if (s.failed) p.push_back("+" + std::to_string(s.failed) + " failed");
    if (s.running) p.push_back("+" + std::to_string(s.running) + " running");
    for (size_t i = 0; i < p.size(); ++i) t.partial += (i ? ", " : "") + p[i];
  }
  if (c.published) {
    t.published = "pub. " + fmt4(c.published->map);
    if (!c.comparable) t.published += "†";
    else if (s.has_value()) t.published += ", Δ " + fmt_signed4(s.mean - c.published->map);
  }
  return t;
}

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else o += c;
  }
  return o;
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string latex_escape(const std::string& s) {
  static const std::vector<std::pair<std::string, std::string>> kUnicode = {
      {"→", "$\\rightarrow$"}, {"±", "$\\pm$"}, {"Δ", "$\\Delta$"}, {"−", "$-$"}, {"—", "---"},
      {"–", "--"}, {"·", "$\\cdot$"}, {"†", "$^\\dagger$"}, {"×", "$\\times$"}, {"≥", "$\\geq$"}};
  std::string o;
  for (size_t i = 0; i < s.size();) {
    bool hit = false;
    for (const auto& [u, l] : kUnicode)
      if (s.compare(i, u.size(), u) == 0) {
        o += l;
        i += u.size();
        hit = true;
        break;
      }
    if (hit) continue;
    const char c = s[i++];
    switch (c) {
      case '&': case '%': case '$': case '#': case '_': case '{': case '}': o += '\\'; o += c; break;
      case '~': o += "\\textasciitilde{}"; break;
      case '^': o += "\\textasciicircum{}"; break;
      case '\\': o += "\\textbackslash{}"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt4(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

std::string column_name(const std::string& dataset, int n, const std::string& unit) {
  return dataset + " " + std::to_string(n) + " " + unit;
}

std::vector<std::string> footnotes(const Table& t) {
  std::vector<std::string> out = t.notes;
  for (const auto& [row, text] : run_notes(t.runs)) out.push_back("Note — " + row + ": " + text);
  return out;
}

size_t Table::column_count() const {
  size_t n = 0;
  for (const auto& g : groups) n += g.columns.size();
  return n;
}

void mark_best(Table& t) {
  const size_t cols = t.column_count();
  for (size_t c = 0; c < cols; ++c) {
    double best = -1e300;
    int with_value = 0;
    for (size_t r = 0; r < t.cells.size(); ++r)
      if (!t.unranked_rows.count(r) && t.cells[r][c].stat.has_value()) {
        ++with_value;
        best = std::max(best, t.cells[r][c].stat.mean);
      }
    if (with_value < 2) continue;
    for (size_t r = 0; r < t.cells.size(); ++r)
      if (!t.unranked_rows.count(r) && t.cells[r][c].stat.has_value() && t.cells[r][c].stat.mean >= best - 1e-12)
        t.cells[r][c].best = true;
  }
}

std::vector<Table> map_tables(const ResultSet& rs, const PublishedValues& published, const std::string& generated) {
  std::vector<Table> out;
  for (const std::string& dir : rs.directions()) {
    Table t;
    t.id = "map_" + dir;
    t.title = "mAP@all, " + direction_words(dir) + " (" + direction_label(dir) + ")";
    for (const auto& d : rs.datasets) t.groups.push_back({d, rs.bits_of(d)});
    t.rows = rs.rows;
    std::set<std::string> sources, not_comparable;
    bool multi_seed = false, partial = false;
    for (const auto& row : rs.rows) {
      std::vector<TableCell> cells;
      for (const auto& g : t.groups)
        for (int bits : g.columns) {
          TableCell c;
          c.stat = rs.cell(row, g.dataset, bits, dir, metric::kMap);
          for (const RunInfo* r : c.stat.runs) t.runs.push_back(r);
          multi_seed |= c.stat.values.size() > 1;
          partial |= c.stat.has_value() && (c.stat.failed || c.stat.running);
          c.published = published.find(dataset_base(g.dataset), rs.row_display.at(row), dir, bits);
          if (c.published) {
            sources.insert(c.published->source + (c.published->features.empty() ? "" : " (" + c.published->features + ")"));
            for (const RunInfo* r : c.stat.runs)
              if (r->synthetic()) {
                c.comparable = false;
                not_comparable.insert(r->dataset + ": " + r->synthetic_modalities());
              }
          }
          cells.push_back(std::move(c));
        }
      t.cells.push_back(std::move(cells));
    }
    mark_best(t);
    if (multi_seed) t.notes.push_back("Values are mean ± sample standard deviation over the seeds that ran.");
    if (partial) t.notes.push_back("“+n failed/running”: seeds of that cell without a value; the mean is over the rest.");
    t.notes.push_back("Bold: best value of its column. Ranking ties broken by database index (see provenance).");
    if (!sources.empty()) {
      std::string s = "pub.: published mAP, Δ = ours − published. Sources: ";
      bool first = true;
      for (const auto& x : sources) {
        s += (first ? "" : "; ") + x;
        first = false;
      }
      t.notes.push_back(s + ".");
    }
    if (!not_comparable.empty()) {
      std::string s = "† NOT COMPARABLE: our runs used ";
      bool first = true;
      for (const auto& x : not_comparable) {
        s += (first ? "" : "; ") + x;
        first = false;
      }
      t.not_comparable_note = t.notes.size();
      t.notes.push_back(s + " — the published value is shown for reference only and no difference is computed.");
    }
    t.provenance = provenance_of(t.runs, generated);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<Table> bitscale_tables(const ResultSet& rs, const store::Store& db, const std::string& generated) {
  std::vector<Table> out;
  for (const auto& row : rs.rows) {
    // (direction, dataset, trained bits, kept bits) → values over seeds
    std::map<std::tuple<std::string, std::string, int, int>, std::vector<double>> scaled, random_scaled, ranked_minus_random;
    std::map<std::tuple<std::string, std::string, int>, std::vector<const RunInfo*>> sources;
    // SCAHN logs how far its attention scores moved from their random initialisation (rank
    // correlation, last epoch): near 1, the ranking is the initialisation's.
    std::map<int64_t, double> attention_corr;
    for (const auto& r : rs.runs) {
      if (r.row != row || r.status != "done") continue;
      std::map<std::pair<std::string, int>, double> ranked_here;
      for (const auto& p : db.curves(r.id, metric::kBitScaleCurve)) {
        const int kept = static_cast<int>(std::lround(p.x));
        scaled[{p.direction, r.dataset, r.bits, kept}].push_back(p.y);
        ranked_here[{p.direction, kept}] = p.y;
        auto& v = sources[{p.direction, r.dataset, r.bits}];
        if (std::find(v.begin(), v.end(), &r) == v.end()) v.push_back(&r);
      }
      double last = NAN;
      int last_epoch = -1;
      for (const auto& e : db.epochs(r.id))
        if (e.term == "attention_rank_corr" && e.epoch > last_epoch) {
          last_epoch = e.epoch;
          last = e.value;
        }
      if (std::isfinite(last)) attention_corr[r.id] = last;
      for (const auto& p : db.curves(r.id, metric::kBitScaleRandomCurve)) {
        const int kept = static_cast<int>(std::lround(p.x));
        random_scaled[{p.direction, r.dataset, r.bits, kept}].push_back(p.y);
        // The paired difference, run by run: seeds move both rows together, so the spread of
        // the difference, not of either row, says whether the ranking beats random bits.
        auto ranked = ranked_here.find({p.direction, kept});
        if (ranked != ranked_here.end() && kept < r.bits)
          ranked_minus_random[{p.direction, r.dataset, r.bits, kept}].push_back(ranked->second - p.y);
      }
    }
    if (scaled.empty()) continue;
    std::set<std::string> dirs;
    for (const auto& [k, v] : scaled) dirs.insert(std::get<0>(k));
    std::vector<std::string> ordered(dirs.begin(), dirs.end());
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const std::string& a, const std::string& b) { return direction_rank(a) < direction_rank(b); });
    for (const auto& dir : ordered) {
      Table t;
      std::string slug = rs.row_method.at(row);
      for (const RunInfo& r : rs.runs)
        if (r.row == row) { slug = r.label + (rs.multiple_experiments() ? "_" + r.experiment : ""); break; }
      for (char& c : slug)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
      t.id = std::string(metric::kBitScaleCurve) + "_" + slug + "_" + dir;
      t.title = row + ": mAP@all of the first k' bits of a k-bit model, " + direction_words(dir) + " (" +
                direction_label(dir) + ")";
      t.column_unit = "kept bits";
      std::set<int> trained_all;
      for (const auto& d : rs.datasets) {
        std::set<int> kept;
        for (const auto& [k, v] : scaled)
          if (std::get<0>(k) == dir && std::get<1>(k) == d) {
            kept.insert(std::get<3>(k));
            trained_all.insert(std::get<2>(k));
          }
        if (!kept.empty()) t.groups.push_back({d, {kept.begin(), kept.end()}});
      }
      auto stat_of = [](std::vector<double> values, std::vector<const RunInfo*> runs) {
        CellStat s;
        s.runs = std::move(runs);
        s.values = std::move(values);
        s.done = static_cast<int>(s.values.size());
        s.summarise();
        return s;
      };
      // Rows: each trained length (longest first, as the paper lists them), then the models
      // trained directly at each kept length.
      bool any_random = false;
      for (auto it = trained_all.rbegin(); it != trained_all.rend(); ++it) {
        const int k = *it;
        auto row_of = [&](const std::map<std::tuple<std::string, std::string, int, int>, std::vector<double>>& values) {
          std::vector<TableCell> cells;
          for (const auto& g : t.groups)
            for (int kept : g.columns) {
              TableCell c;
              auto v = values.find({dir, g.dataset, k, kept});
              auto src = sources.find({dir, g.dataset, k});
              c.stat = stat_of(v == values.end() ? std::vector<double>{} : v->second,
                               src == sources.end() ? std::vector<const RunInfo*>{} : src->second);
              for (const RunInfo* r : c.stat.runs) t.runs.push_back(r);
              cells.push_back(std::move(c));
            }
          return cells;
        };
        t.rows.push_back("first k' bits of the " + std::to_string(k) + "-bit model");
        t.cells.push_back(row_of(scaled));
        bool has_random = false;
        for (const auto& [key, v] : random_scaled) has_random |= std::get<0>(key) == dir && std::get<2>(key) == k;
        if (has_random) {
          any_random = true;
          t.rows.push_back("random k' of the " + std::to_string(k) + "-bit model's bits");
          t.cells.push_back(row_of(random_scaled));
          t.rows.push_back("ranked − random, per run (" + std::to_string(k) + "-bit model)");
          t.cells.push_back(row_of(ranked_minus_random));
          t.unranked_rows.insert(t.rows.size() - 1);
        }
      }
      t.rows.push_back("trained at k' bits");
      std::vector<TableCell> direct;
      for (const auto& g : t.groups)
        for (int kept : g.columns) {
          TableCell c;
          c.stat = rs.cell(row, g.dataset, kept, dir, metric::kMap);
          for (const RunInfo* r : c.stat.runs) t.runs.push_back(r);
          direct.push_back(std::move(c));
        }
      t.cells.push_back(std::move(direct));
      mark_best(t);
      t.notes.push_back("Rows “first k' bits”: one model trained at k bits, evaluated on its k' highest-ranked bits "
                        "(stored bitscale curves); row “trained at k' bits”: a separate model per length (— when none ran).");
      std::vector<double> corr;
      std::set<int64_t> seen_runs;
      for (const RunInfo* r : t.runs) {
        auto c = attention_corr.find(r->id);
        if (seen_runs.insert(r->id).second && c != attention_corr.end()) corr.push_back(c->second);
      }
      if (!corr.empty()) {
        double sum = 0;
        for (double c : corr) sum += c;
        const double mean = sum / static_cast<double>(corr.size());
        char buf[96];
        std::snprintf(buf, sizeof buf, "%.2f (%.2f to %.2f) over %zu runs", mean,
                      *std::min_element(corr.begin(), corr.end()), *std::max_element(corr.begin(), corr.end()), corr.size());
        // 1: the ranking is the random initialisation's; the reference trains 500 epochs.
        const char* reading = mean > 0.9 ? ": the ranking is still almost the initialisation's (too few steps for the "
                                           "attention to learn which bits matter), so ranked bits cannot be expected to "
                                           "beat random ones here."
                              : mean > 0.5 ? ": the attention has begun to move from its initialisation (the reference "
                                             "trains 500 epochs); compare the ranked and the random rows."
                                           : ".";
        t.notes.push_back(std::string("After training, the attention scores that rank the bits keep a rank correlation of ") + buf +
                          " with their random initialisation" + reading);
      }
      if (any_random)
        t.notes.push_back("Rows “random k' of the k-bit model's bits”: the same codes cut to k' bits drawn at random, "
                          "the mean of " + std::to_string(kBitScaleRandomDraws) + " draws per run. Rows “ranked − random”: the "
                          "difference run by run, mean ± SD over the runs: the ranking is worth something where it "
                          "is positive by more than its SD.");
      t.notes.push_back("Bold: best value of its column.");
      t.provenance = provenance_of(t.runs, generated);
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string to_markdown(const Table& t) {
  std::string s = "| Method |";
  std::string rule = "|---|";
  for (const auto& g : t.groups)
    for (int n : g.columns) {
      s += " " + md_escape(column_name(g.dataset, n, t.column_unit)) + " |";
      rule += "---:|";
    }
  s += "\n" + rule + "\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    s += "| " + md_escape(t.rows[r]) + " |";
    for (const auto& c : t.cells[r]) {
      const CellText x = cell_text(c);
      std::string v = x.is_status ? "*" + x.value + "*" : x.value;
      if (c.best) v = "**" + v + "**";
      if (!x.partial.empty()) v += " (" + x.partial + ")";
      if (!x.published.empty()) v += " (" + x.published + ")";
      s += " " + md_escape(v) + " |";
    }
    s += "\n";
  }
  return s;
}

std::string to_latex(const Table& t) {
  const size_t cols = t.column_count();
  std::string s = "% " + t.title + " — generated by cmhbench report; needs \\usepackage{booktabs}\n";
  s += "\\begin{table}[t]\n\\centering\n\\caption{" + latex_escape(t.title) + "}\n";
  s += "\\label{tab:" + t.id + "}\n\\small\n\\begin{tabular}{l";
  for (const auto& g : t.groups) s += std::string(g.columns.size(), 'c');
  s += "}\n\\toprule\n";
  s += " ";
  size_t col = 2;
  std::string rules;
  for (const auto& g : t.groups) {
    s += " & \\multicolumn{" + std::to_string(g.columns.size()) + "}{c}{" + latex_escape(g.dataset) + "}";
    rules += "\\cmidrule(lr){" + std::to_string(col) + "-" + std::to_string(col + g.columns.size() - 1) + "}";
    col += g.columns.size();
  }
  s += " \\\\\n" + rules + "\n" + "Method";
  for (const auto& g : t.groups)
    for (int n : g.columns) s += " & " + std::to_string(n);
  s += " \\\\\n\\midrule\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    s += latex_escape(t.rows[r]);
    for (size_t c = 0; c < cols; ++c) {
      const TableCell& cell = t.cells[r][c];
      const CellText x = cell_text(cell);
      std::string v = x.is_status ? "\\textit{" + latex_escape(x.value) + "}" : latex_escape(x.value);
      if (cell.best) v = "\\textbf{" + v + "}";
      if (!x.partial.empty()) v += " {\\scriptsize(" + latex_escape(x.partial) + ")}";
      if (!x.published.empty()) v += " {\\scriptsize(" + latex_escape(x.published) + ")}";
      s += " & " + v;
    }
    s += " \\\\\n";
  }
  s += "\\bottomrule\n\\end{tabular}\n";
  s += "\\par\\smallskip\\footnotesize\n";
  s += "Columns: " + latex_escape(t.column_unit) + ".";
  for (const auto& n : footnotes(t)) s += " " + latex_escape(n);
  s += "\\\\\n" + latex_escape(t.provenance.line()) + "\n\\end{table}\n";
  return s;
}

std::string to_csv(const Table& t) {
  std::vector<std::string> header = {"method"};
  for (const auto& g : t.groups)
    for (int n : g.columns) header.push_back(column_name(g.dataset, n, t.column_unit));
  std::string s = csv_row(header);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::vector<std::string> f = {t.rows[r]};
    for (const auto& c : t.cells[r]) f.push_back(c.stat.has_value() ? fmt_full(c.stat.mean) : c.stat.status_word());
    s += csv_row(f);
  }
  return s;
}

std::string to_html(const Table& t) {
  std::string s = "<table>\n<thead><tr><th rowspan=\"2\">Method</th>";
  for (const auto& g : t.groups)
    s += "<th colspan=\"" + std::to_string(g.columns.size()) + "\">" + html_escape(g.dataset) + "</th>";
  s += "</tr>\n<tr>";
  for (const auto& g : t.groups)
    for (int n : g.columns) s += "<th>" + std::to_string(n) + "</th>";
  s += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    s += "<tr><th>" + html_escape(t.rows[r]) + "</th>";
    for (const auto& c : t.cells[r]) {
      const CellText x = cell_text(c);
      std::string v = html_escape(x.value);
      if (x.is_status) v = "<span class=\"status\">" + v + "</span>";
      if (c.best) v = "<b>" + v + "</b>";
      if (!x.partial.empty()) v += " <small>(" + html_escape(x.partial) + ")</small>";
      if (!x.published.empty())
        v += "<br><small class=\"" + std::string(c.comparable ? "pub" : "pub nc") + "\">" + html_escape(x.published) +
             "</small>";
      s += "<td>" + v + "</td>";
    }
    s += "</tr>\n";
  }
  s += "</tbody>\n</table>\n";
  return s;
}

std::string results_long_csv(const ResultSet& rs, const PublishedValues& published) {
  std::string s = csv_row({"row", "method", "dataset", "bits", "direction", "metric", "status", "seeds", "done",
                           "failed", "running", "mean", "std", "published", "published_source", "delta", "comparable"});
  std::set<std::string> names;
  for (const auto& r : rs.runs)
    for (const auto& [k, v] : r.metrics) names.insert(k.second);
  for (const auto& row : rs.rows)
    for (const auto& d : rs.datasets)
      for (int bits : rs.bits_of(d)) {
        if (rs.cell_runs(row, d, bits).empty()) continue;
        for (const auto& dir : rs.directions())
          for (const auto& name : names) {
            const CellStat c = rs.cell(row, d, bits, dir, name);
            std::optional<PublishedValue> p;
            if (name == metric::kMap) p = published.find(dataset_base(d), rs.row_display.at(row), dir, bits);
            bool comparable = true;
            for (const RunInfo* r : c.runs) comparable &= !r->synthetic();
            if (!c.has_value() && c.failed == 0 && c.running == 0) continue;  // metric not stored
            s += csv_row({row, rs.row_method.at(row), d, std::to_string(bits), dir, name,
                          c.has_value() ? "done" : c.status_word(), std::to_string(c.runs.size()),
                          std::to_string(c.done), std::to_string(c.failed), std::to_string(c.running),
                          c.has_value() ? fmt_full(c.mean) : "", c.values.size() > 1 ? fmt_full(c.std) : "",
                          p ? fmt_full(p->map) : "", p ? p->source : "",
                          p && c.has_value() && comparable ? fmt_full(c.mean - p->map) : "",
                          comparable ? "yes" : "no"});
          }
      }
  return s;
}

std::string runs_csv(const ResultSet& rs) {
  std::string s = csv_row({"experiment", "cell_key", "row", "label", "method", "dataset", "bits", "seed", "status",
                           "error", "direction", "metric", "value"});
  for (const auto& r : rs.runs) {
    const std::vector<std::string> head = {r.experiment, r.cell_key, r.row, r.label, r.method, r.dataset,
                                           std::to_string(r.bits), std::to_string(r.seed), r.status, r.error};
    if (r.metrics.empty()) {
      auto f = head;
      f.insert(f.end(), {"", "", ""});
      s += csv_row(f);
      continue;
    }
    for (const auto& [k, v] : r.metrics) {
      auto f = head;
      char b[40];
      std::snprintf(b, sizeof b, "%.17g", v);
      f.insert(f.end(), {k.first, k.second, b});
      s += csv_row(f);
    }
  }
  return s;
}

}  // namespace cmh::plots
