// Figures: assembling series from the store, writing .dat/.gp files, rendering via gnuplot.
#include "figures.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gnuplot-iostream.h>

#include "harness/bit_scale.h"
#include "eval/metric_names.h"
#include "store/store.h"

namespace cmh::plots {
namespace metric = eval::metric;
namespace fs = std::filesystem;

namespace {

// The first ResultSet::kMethodColours follow the methods' table order (harness/cli/
// builtin_methods.cpp: CCA … SePH-km, DCMH, then the papers' two methods, which get the
// strongest colours, red and black). The rest serve labelled variants and loss terms.
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#17becf", "#9467bd", "#8c564b",
                                "#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939",
                                "#8c6d31", "#d62728", "#000000", "#7b4173", "#3182bd", "#e6550d",
                                "#31a354", "#756bb1"};
constexpr int kPaletteSize = sizeof kPalette / sizeof kPalette[0];
constexpr int kSpare = ResultSet::kMethodColours;  // the first colour no method owns
static_assert(kSpare < kPaletteSize, "the palette needs colours beyond the methods'");

std::string gp_string(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o + "\"";
}

std::string sh_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'') o += "'\\''";
    else o += c;
  }
  return o + "'";
}

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

// Pointwise mean (and sample std) over seeds of curves indexed alike.
struct Averaged {
  std::vector<double> x, y, err;
  int seeds = 0;
};
Averaged average(const std::vector<std::vector<store::CurvePoint>>& curves) {
  std::map<int, std::vector<std::pair<double, double>>> by_index;
  for (const auto& c : curves)
    for (const auto& p : c) by_index[p.index].push_back({p.x, p.y});
  Averaged a;
  a.seeds = static_cast<int>(curves.size());
  for (const auto& [i, pts] : by_index) {
    double sx = 0, sy = 0;
    for (const auto& [x, y] : pts) {
      sx += x;
      sy += y;
    }
    const double n = static_cast<double>(pts.size());
    const double my = sy / n;
    double ss = 0;
    for (const auto& [x, y] : pts) ss += (y - my) * (y - my);
    a.x.push_back(sx / n);
    a.y.push_back(my);
    a.err.push_back(pts.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0);
  }
  return a;
}

// Curves of every done run, fetched once per run.
class CurveCache {
 public:
  explicit CurveCache(const store::Store& db) : db_(db) {}
  std::vector<store::CurvePoint> get(const RunInfo& r, const std::string& kind, const std::string& direction) {
    auto it = cache_.find(r.id);
    if (it == cache_.end()) it = cache_.emplace(r.id, r.status == "done" ? db_.curves(r.id) : std::vector<store::CurvePoint>{}).first;
    std::vector<store::CurvePoint> out;
    for (const auto& p : it->second)
      if (p.kind == kind && p.direction == direction) out.push_back(p);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    return out;
  }
  std::set<std::string> directions(const RunInfo& r, const std::string& kind) {
    get(r, kind, "");
    std::set<std::string> d;
    for (const auto& p : cache_.at(r.id))
      if (p.kind == kind) d.insert(p.direction);
    return d;
  }

 private:
  const store::Store& db_;
  std::map<int64_t, std::vector<store::CurvePoint>> cache_;
};

std::vector<std::string> ordered_directions(const std::set<std::string>& d) {
  std::vector<std::string> v(d.begin(), d.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const std::string& a, const std::string& b) { return direction_rank(a) < direction_rank(b); });
  return v;
}

std::string seeds_suffix(int n) { return n > 1 ? " (mean of " + std::to_string(n) + " seeds)" : ""; }

// PR or top-N figures: one per dataset × bits × direction, one series per row.
void curve_figures(const ResultSet& rs, CurveCache& cache, const std::string& kind, const std::string& generated,
                   std::vector<Figure>& out) {
  for (const auto& d : rs.datasets)
    for (int bits : rs.bits_of(d)) {
      std::set<std::string> dirs;
      for (const auto& r : rs.runs)
        if (r.dataset == d && r.bits == bits && r.status == "done")
          for (const auto& x : cache.directions(r, kind)) dirs.insert(x);
      for (const auto& dir : ordered_directions(dirs)) {
        Figure f;
        f.kind = kind;
        f.id = kind + "_" + slug(d) + "_" + std::to_string(bits) + "_" + dir;
        if (kind == metric::kPrCurve) {
          f.group = "Precision–recall curves (Hamming radius 0…k)";
          f.title = "Precision–recall, " + d + ", " + std::to_string(bits) + " bits, " + direction_label(dir);
          f.xlabel = "recall";
          f.ylabel = "precision";
        } else {
          f.group = "Precision@N curves";
          f.title = "Precision@N, " + d + ", " + std::to_string(bits) + " bits, " + direction_label(dir);
          f.xlabel = "N (top-ranked database items)";
          f.ylabel = "precision@N";
        }
        f.unit_y = true;
        for (const auto& row : rs.rows) {
          std::vector<std::vector<store::CurvePoint>> curves;
          for (const RunInfo* r : rs.cell_runs(row, d, bits)) {
            f.runs.push_back(r);
            auto c = cache.get(*r, kind, dir);
            // A radius that retrieves nothing stores (recall 0, precision 0): precision is
            // undefined there, and drawing it would pull every curve down to the origin.
            if (kind == metric::kPrCurve)
              c.erase(std::remove_if(c.begin(), c.end(), [](const auto& p) { return p.x == 0 && p.y == 0; }), c.end());
            if (!c.empty()) curves.push_back(std::move(c));
          }
          if (curves.empty()) continue;
          const Averaged a = average(curves);
          Series s;
          s.title = row + seeds_suffix(a.seeds);
          s.colour = rs.row_colour.at(row);
          s.style = kind == metric::kPrCurve ? Series::Style::LinesPoints : Series::Style::Lines;
          s.x = a.x;
          s.y = a.y;
          f.series.push_back(std::move(s));
        }
        if (f.series.empty()) continue;
        f.provenance = provenance_of(f.runs, generated);
        out.push_back(std::move(f));
      }
    }
}

void map_bits_figures(const ResultSet& rs, const std::string& generated, std::vector<Figure>& out) {
  for (const auto& d : rs.datasets) {
    const std::vector<int> bits = rs.bits_of(d);
    for (const auto& dir : rs.directions()) {
      Figure f;
      f.kind = "map_bits";
      f.group = "mAP versus code length";
      f.id = "map_bits_" + slug(d) + "_" + dir;
      f.title = "mAP@all versus code length, " + d + ", " + direction_label(dir);
      f.xlabel = "code length (bits)";
      f.ylabel = "mAP@all";
      f.log2x = true;
      for (int b : bits) f.xtics.push_back(b);
      for (const auto& row : rs.rows) {
        Series s;
        s.title = row;
        s.colour = rs.row_colour.at(row);
        bool spread = false;
        for (int b : bits) {
          const CellStat c = rs.cell(row, d, b, dir, metric::kMap);
          for (const RunInfo* r : c.runs) f.runs.push_back(r);
          if (!c.has_value()) continue;
          s.x.push_back(b);
          s.y.push_back(c.mean);
          s.err.push_back(c.std);
          spread |= c.values.size() > 1;
        }
        if (s.x.empty()) continue;
        if (spread) {
          s.style = Series::Style::ErrorLines;
          s.title += " (mean ± std over seeds)";
        } else {
          s.err.clear();
        }
        f.series.push_back(std::move(s));
      }
      if (f.series.empty()) continue;
      f.provenance = provenance_of(f.runs, generated);
      out.push_back(std::move(f));
    }
  }
}

void bitscale_figures(const ResultSet& rs, CurveCache& cache, const std::string& generated, std::vector<Figure>& out) {
  for (const auto& row : rs.rows)
    for (const auto& d : rs.datasets) {
      std::set<std::string> dirs;
      for (const auto& r : rs.runs)
        if (r.row == row && r.dataset == d && r.status == "done")
          for (const auto& x : cache.directions(r, metric::kBitScaleCurve)) dirs.insert(x);
      for (const auto& dir : ordered_directions(dirs)) {
        Figure f;
        f.kind = metric::kBitScaleCurve;
        f.group = "Bit-scalable mAP (first k' bits of a k-bit model versus random k' of its bits and a model trained at k')";
        f.id = std::string(metric::kBitScaleCurve) + "_" + slug(row) + "_" + slug(d) + "_" + dir;
        f.title = row + ": mAP versus bits kept, " + d + ", " + direction_label(dir);
        f.xlabel = "bits kept (k')";
        f.ylabel = "mAP@all";
        f.log2x = true;
        std::set<double> tics;
        int variant = 0;
        const std::vector<int> bits = rs.bits_of(d);
        for (auto b = bits.rbegin(); b != bits.rend(); ++b) {
          // The ranked bits' curves and, where stored, the same codes cut to random bits: what the
          // ranking has to beat.
          std::vector<std::vector<store::CurvePoint>> curves, random_curves;
          for (const RunInfo* r : rs.cell_runs(row, d, *b)) {
            auto c = cache.get(*r, metric::kBitScaleCurve, dir);
            if (c.empty()) continue;
            f.runs.push_back(r);
            curves.push_back(std::move(c));
            auto random = cache.get(*r, metric::kBitScaleRandomCurve, dir);
            if (!random.empty()) random_curves.push_back(std::move(random));
          }
          if (curves.empty()) continue;
          // Mean over seeds, with ± one SD where there are several: is the gap beyond the noise?
          auto averaged = [](const std::vector<std::vector<store::CurvePoint>>& of, const std::string& title, int colour) {
            const Averaged a = average(of);
            Series s;
            s.title = title + seeds_suffix(a.seeds);
            s.colour = colour;
            s.x = a.x;
            s.y = a.y;
            if (a.seeds > 1) {
              s.err = a.err;
              s.style = Series::Style::ErrorLines;
            }
            return s;
          };
          // Lines of one method: the method's colour for the longest model, then variants.
          const int colour = variant == 0 ? rs.row_colour.at(row) : kSpare + variant % (kPaletteSize - kSpare);
          ++variant;
          Series s = averaged(curves, "first k' bits of the " + std::to_string(*b) + "-bit model", colour);
          for (double x : s.x) tics.insert(x);
          f.series.push_back(std::move(s));
          if (!random_curves.empty()) {
            Series random = averaged(random_curves, "random k' of its bits (mean of " +
                                                        std::to_string(kBitScaleRandomDraws) + " draws)", colour);
            random.dashed = true;
            f.series.push_back(std::move(random));
          }
        }
        Series direct;
        direct.title = "trained at k' bits";
        direct.colour = 9;
        direct.style = Series::Style::Points;
        for (int b : bits) {
          const CellStat c = rs.cell(row, d, b, dir, metric::kMap);
          for (const RunInfo* r : c.runs) f.runs.push_back(r);
          if (!c.has_value()) continue;
          direct.x.push_back(b);
          direct.y.push_back(c.mean);
          tics.insert(b);
        }
        if (!direct.x.empty()) f.series.push_back(std::move(direct));
        f.xtics.assign(tics.begin(), tics.end());
        if (f.series.empty()) continue;
        f.provenance = provenance_of(f.runs, generated);
        out.push_back(std::move(f));
      }
    }
}

void loss_figures(const ResultSet& rs, const store::Store& db, const std::string& generated, std::vector<Figure>& out) {
  for (const auto& r : rs.runs) {
    if (r.status != "done") continue;
    const auto epochs = db.epochs(r.id);
    std::set<int> epoch_numbers;
    for (const auto& e : epochs) epoch_numbers.insert(e.epoch);
    if (epoch_numbers.size() < 2) continue;  // closed-form methods log one summary "epoch": no curve
    std::map<std::string, Series> terms;
    for (const auto& e : epochs) {
      Series& s = terms[e.term];
      s.x.push_back(e.epoch);
      s.y.push_back(e.value);
    }
    Figure f;
    f.kind = "loss";
    f.group = "Training curves (per run)";
    f.id = "loss_" + slug(r.row) + "_" + slug(r.dataset) + "_" + std::to_string(r.bits) + "_seed" + std::to_string(r.seed);
    f.title = "Training, " + r.row + ", " + r.dataset + ", " + std::to_string(r.bits) + " bits, seed " +
              std::to_string(r.seed);
    f.xlabel = "epoch";
    f.ylabel = "loss terms";
    if (epoch_numbers.size() <= 20) f.xtics_step = 1;
    // Terms of one run are told apart by colour; the method's own colour goes to the total loss.
    int k = 0;
    for (auto& [term, s] : terms) {
      s.title = term;
      s.style = Series::Style::LinesPoints;
      if (term == "lr" || term.rfind("lr_", 0) == 0) {
        s.y2 = true;
        s.dashed = true;
        s.title += " (right axis)";
        f.y2label = "learning rate";
      }
      s.colour = term == "loss" ? rs.row_colour.at(r.row) : kSpare + k++ % (kPaletteSize - kSpare);
      f.series.push_back(std::move(s));
    }
    f.runs.push_back(&r);
    f.provenance = provenance_of(f.runs, generated);
    out.push_back(std::move(f));
  }
}

}  // namespace

std::string palette_colour(int index) {
  if (index < 0) index = 0;
  return kPalette[index % kPaletteSize];
}

std::string slug(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-') o += static_cast<char>(std::tolower(c));
    else if (!o.empty() && o.back() != '_') o += '_';
  }
  while (!o.empty() && o.back() == '_') o.pop_back();
  return o.empty() ? "x" : o;
}

std::vector<Figure> build_figures(const ResultSet& rs, const store::Store& db, const std::string& generated) {
  std::vector<Figure> out;
  CurveCache cache(db);
  map_bits_figures(rs, generated, out);
  curve_figures(rs, cache, metric::kPrCurve, generated, out);
  curve_figures(rs, cache, metric::kTopNCurve, generated, out);
  bitscale_figures(rs, cache, generated, out);
  loss_figures(rs, db, generated, out);
  // Ids must be unique: two labels may slug alike.
  std::map<std::string, int> seen;
  for (auto& f : out)
    if (seen[f.id]++) f.id += "_" + std::to_string(seen[f.id]);
  return out;
}

std::string find_gnuplot(const std::string& preferred) {
  if (!preferred.empty() && preferred.find("NOTFOUND") == std::string::npos && access(preferred.c_str(), X_OK) == 0)
    return preferred;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    const std::string p = (dir.empty() ? "." : dir) + "/gnuplot";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

FigureFiles write_figure(const Figure& f, const std::string& dir, const RenderOptions& opt) {
  FigureFiles files;
  files.dat = f.id + ".dat";
  files.gp = f.id + ".gp";
  files.png = f.id + ".png";
  files.svg = f.id + ".svg";
  const fs::path base(dir);

  {
    std::ofstream dat(base / files.dat);
    dat << "# " << f.title << "\n# " << f.provenance.line() << "\n";
    for (size_t i = 0; i < f.series.size(); ++i) {
      const Series& s = f.series[i];
      dat << (i ? "\n\n" : "") << "# index " << i << ": " << s.title << "\n# " << f.xlabel << "\t" << f.ylabel
          << (s.err.empty() ? "" : "\tstd") << "\n";
      for (size_t j = 0; j < s.x.size(); ++j) {
        dat << num(s.x[j]) << "\t" << num(s.y[j]);
        if (!s.err.empty()) dat << "\t" << num(s.err[j]);
        dat << "\n";
      }
    }
  }

  {
    std::ofstream gp(base / files.gp);
    gp << "# " << f.title << "\n# re-render: gnuplot " << files.gp << "  (from this folder; writes " << files.png
       << " and " << files.svg << ")\n";
    gp << "# " << f.provenance.line() << "\n";
    gp << "set encoding utf8\n";
    gp << "set title " << gp_string(f.title) << " noenhanced\n";
    gp << "set xlabel " << gp_string(f.xlabel) << " noenhanced\n";
    gp << "set ylabel " << gp_string(f.ylabel) << " noenhanced\n";
    if (!f.y2label.empty()) gp << "set y2label " << gp_string(f.y2label) << " noenhanced\nset y2tics\nset ytics nomirror\n";
    gp << "set grid\nset key outside right top vertical Left reverse noenhanced box\n";
    if (f.xtics_step > 0) gp << "set xtics " << num(f.xtics_step) << "\n";
    if (f.unit_y) gp << "set yrange [0:1]\n";
    if (f.log2x) gp << "set logscale x 2\n";
    if (!f.xtics.empty()) {
      gp << "set xtics (";
      for (size_t i = 0; i < f.xtics.size(); ++i) gp << (i ? ", " : "") << num(f.xtics[i]);
      gp << ")\n";
      if (f.log2x) gp << "set xrange [" << num(f.xtics.front() / 1.25) << ":" << num(f.xtics.back() * 1.25) << "]\n";
    }
    for (size_t i = 0; i < f.series.size(); ++i) {
      const Series& s = f.series[i];
      gp << "set style line " << i + 1 << " lc rgb '" << palette_colour(s.colour) << "' lw 2 pt "
         << 1 + (s.colour % 13) << " ps 0.7" << (s.dashed ? " dt 2" : "") << "\n";
    }
    std::string plot;
    for (size_t i = 0; i < f.series.size(); ++i) {
      const Series& s = f.series[i];
      std::string with;
      switch (s.style) {
        case Series::Style::Lines: with = "lines"; break;
        case Series::Style::LinesPoints: with = "linespoints"; break;
        case Series::Style::Points: with = "points"; break;
        case Series::Style::ErrorLines: with = "yerrorlines"; break;
      }
      plot += std::string(i ? ", " : "") + "'" + files.dat + "' index " + std::to_string(i) + " using 1:2" +
              (s.style == Series::Style::ErrorLines ? ":3" : "") + (s.y2 ? " axes x1y2" : "") + " with " + with +
              " ls " + std::to_string(i + 1) + " title " + gp_string(s.title);
    }
    // PNG through cairo when this gnuplot has it (sharper text), else libgd's png terminal.
    gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
       << "  set terminal pngcairo size " << opt.width << "," << opt.height << " noenhanced font 'Sans,10'\n"
       << "} else {\n"
       << "  set terminal png size " << opt.width << "," << opt.height << " noenhanced\n"
       << "}\n";
    gp << "set output '" << files.png << "'\n";
    gp << "plot " << plot << "\n";
    gp << "set terminal svg size " << opt.width << "," << opt.height << " noenhanced font 'Sans,11' background '#ffffff'\n";
    gp << "set output '" << files.svg << "'\n";
    gp << "replot\nunset output\n";
  }

  if (opt.gnuplot.empty()) {
    files.error = "gnuplot not found: .dat and .gp written, not rendered";
    return files;
  }
  std::error_code ec;
  fs::remove(base / files.png, ec);
  fs::remove(base / files.svg, ec);
  const fs::path log = base / (f.id + ".gnuplot.log");
  {
    // A gnuplot that dies early must not kill us with SIGPIPE while we write to its pipe.
    auto old = std::signal(SIGPIPE, SIG_IGN);
    try {
      Gnuplot gp("cd " + sh_quote(fs::absolute(base).string()) + " && exec " + sh_quote(opt.gnuplot) + " 2>" +
                 sh_quote(fs::absolute(log).string()));
      gp << "load '" << files.gp << "'\n";
    } catch (const std::exception& e) {
      files.error = e.what();
    }
    std::signal(SIGPIPE, old);
  }
  std::string message;
  {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    message = ss.str();
  }
  fs::remove(log, ec);
  const bool ok = fs::exists(base / files.png) && fs::file_size(base / files.png, ec) > 0 &&
                  fs::exists(base / files.svg) && fs::file_size(base / files.svg, ec) > 0;
  files.rendered = ok;
  if (!ok && files.error.empty())
    files.error = message.empty() ? "gnuplot wrote no image" : message.substr(0, 500);
  return files;
}

}  // namespace cmh::plots
