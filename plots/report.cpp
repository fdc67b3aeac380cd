// The report: tables, figures and the index pages.
#include "report.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/error.h"
#include "figures.h"
#include "published.h"
#include "results.h"
#include "store/store.h"
#include "tables.h"

#ifndef CMH_SOURCE_DIR
#define CMH_SOURCE_DIR "."
#endif
#ifndef CMH_GNUPLOT
#define CMH_GNUPLOT ""
#endif

namespace cmh::plots {
namespace fs = std::filesystem;

namespace {

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M UTC", &tm);
  return b;
}

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw InputError("report: cannot write '" + p.string() + "'; check the folder's permissions and free space");
}

std::string table_markdown_block(const Table& t) {
  std::string s = to_markdown(t) + "\n";
  for (const auto& n : t.notes) s += "- " + n + "\n";
  s += "\n*Provenance: " + t.provenance.line() + "*\n";
  return s;
}

const char* kCss = R"(body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border-bottom:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
thead th{text-align:center;border-bottom:2px solid #444}tbody th{text-align:left}
.status{color:#b00;font-style:italic}.nc{color:#a60}.prov{font-size:.8em;color:#555}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}.warn{color:#b00}
ul.notes{font-size:.85em;color:#333})";

}  // namespace

std::string default_published_path() {
  const std::string rel = "results/reference/published_map.csv";
  std::error_code ec;
  if (fs::exists(rel, ec)) return rel;
  const std::string src = std::string(CMH_SOURCE_DIR) + "/" + rel;
  if (fs::exists(src, ec)) return src;
  return "";
}

ReportSummary write_report(const ReportOptions& opt) {
  if (opt.out_dir.empty()) throw InputError("report: no output folder; pass --out DIR");
  std::error_code ec;
  if (fs::exists(opt.out_dir, ec) && !fs::is_directory(opt.out_dir, ec))
    throw InputError("report: --out '" + opt.out_dir + "' is a file; give a folder (it is created when missing)");

  const store::Store db(opt.db_path, /*read_only=*/true);
  const ResultSet rs = load_results(db, opt.experiment);

  ReportSummary sum;
  sum.published_path = opt.published_path.empty() ? default_published_path() : opt.published_path;
  PublishedValues published;
  if (!sum.published_path.empty()) published = PublishedValues::load(sum.published_path);
  else sum.warnings.push_back("no published values file found (results/reference/published_map.csv); tables show ours only");

  const fs::path out(opt.out_dir), tables_dir = out / "tables", figures_dir = out / "figures";
  fs::create_directories(tables_dir, ec);
  if (ec) throw InputError("report: cannot create '" + tables_dir.string() + "': " + ec.message() + "; pick another --out");
  fs::create_directories(figures_dir, ec);
  if (ec) throw InputError("report: cannot create '" + figures_dir.string() + "': " + ec.message() + "; pick another --out");

  const std::string generated = now_utc();
  for (const auto& r : rs.runs) {
    ++sum.runs;
    if (r.status == "done") ++sum.done;
    else if (r.status == "failed") ++sum.failed;
    else ++sum.running;
  }

  // Tables.
  std::vector<Table> tables = map_tables(rs, published, generated);
  for (auto& t : bitscale_tables(rs, db, generated)) tables.push_back(std::move(t));
  for (const Table& t : tables) {
    write_file(tables_dir / (t.id + ".md"), "# " + t.title + "\n\n" + table_markdown_block(t));
    write_file(tables_dir / (t.id + ".tex"), to_latex(t));
    write_file(tables_dir / (t.id + ".csv"), to_csv(t));
    for (const char* ext : {".md", ".tex", ".csv"}) sum.files.push_back("tables/" + t.id + ext);
  }
  write_file(tables_dir / "results.csv", results_long_csv(rs, published));
  write_file(tables_dir / "runs.csv", runs_csv(rs));
  sum.files.push_back("tables/results.csv");
  sum.files.push_back("tables/runs.csv");
  sum.tables = static_cast<int>(tables.size());

  // Figures.
  RenderOptions ro;
  ro.width = opt.width;
  ro.height = opt.height;
  if (opt.render) {
    ro.gnuplot = find_gnuplot(opt.gnuplot.empty() ? CMH_GNUPLOT : opt.gnuplot);
    if (ro.gnuplot.empty()) sum.warnings.push_back("gnuplot not found: figures written as .dat/.gp only (apt-get install gnuplot-nox)");
  }
  const std::vector<Figure> figures = build_figures(rs, db, generated);
  std::vector<FigureFiles> files;
  for (const Figure& f : figures) {
    files.push_back(write_figure(f, figures_dir.string(), ro));
    const FigureFiles& ff = files.back();
    sum.files.push_back("figures/" + ff.dat);
    sum.files.push_back("figures/" + ff.gp);
    if (ff.rendered) {
      ++sum.rendered;
      sum.files.push_back("figures/" + ff.png);
      sum.files.push_back("figures/" + ff.svg);
    } else if (opt.render && !ro.gnuplot.empty()) {
      sum.warnings.push_back("figure " + f.id + " did not render: " + ff.error);
    }
  }
  sum.figures = static_cast<int>(figures.size());

  // Index pages.
  std::vector<const RunInfo*> all;
  for (const auto& r : rs.runs) all.push_back(&r);
  const Provenance whole = provenance_of(all, generated);
  std::string title = "cmhbench report";
  if (!rs.experiments.empty()) {
    title += ": ";
    for (size_t i = 0; i < rs.experiments.size(); ++i) title += (i ? ", " : "") + rs.experiments[i];
  }
  const std::string counts = std::to_string(sum.runs) + " runs: " + std::to_string(sum.done) + " done, " +
                             std::to_string(sum.failed) + " failed, " + std::to_string(sum.running) + " running";
  std::vector<std::string> facts = {"Database: " + opt.db_path, counts, "Generated: " + generated,
                                    "Ranking tie rule: " + (whole.tie_rule.empty() ? std::string("unrecorded") : *whole.tie_rule.begin()),
                                    "Published values: " + (sum.published_path.empty() ? std::string("none") : sum.published_path)};
  if (rs.superseded)
    facts.push_back(std::to_string(rs.superseded) +
                    " older run(s) of the same cell description (other parameters) are left out; the latest is shown");
  std::vector<const RunInfo*> synthetic;
  for (const auto& r : rs.runs)
    if (r.synthetic()) synthetic.push_back(&r);
  if (!synthetic.empty()) {
    std::set<std::string> d;
    for (const RunInfo* r : synthetic) d.insert(data_description(*r));
    std::string s = "SYNTHETIC data: ";
    bool first = true;
    for (const auto& x : d) {
      s += (first ? "" : "; ") + x;
      first = false;
    }
    facts.push_back(s + " — not comparable with published numbers");
  }

  std::vector<const RunInfo*> unfinished;
  for (const auto& r : rs.runs)
    if (r.status != "done") unfinished.push_back(&r);

  std::string md = "# " + title + "\n\n";
  for (const auto& f : facts) md += "- " + f + "\n";
  md += "\n*Provenance: " + whole.line() + "*\n\n";
  if (!unfinished.empty()) {
    md += "## Cells without results\n\n| Method | Dataset | Bits | Seed | Status | Error |\n|---|---|---:|---:|---|---|\n";
    for (const RunInfo* r : unfinished) {
      std::string err = r->error;
      std::replace(err.begin(), err.end(), '\n', ' ');
      std::replace(err.begin(), err.end(), '|', '/');
      md += "| " + r->row + " | " + r->dataset + " | " + std::to_string(r->bits) + " | " + std::to_string(r->seed) +
            " | " + r->status + " | " + err + " |\n";
    }
    md += "\n";
  }
  if (!sum.warnings.empty()) {
    md += "## Warnings\n\n";
    for (const auto& w : sum.warnings) md += "- " + w + "\n";
    md += "\n";
  }
  md += "## Tables\n\n";
  if (tables.empty()) md += "No runs to tabulate.\n\n";
  for (const Table& t : tables)
    md += "### " + t.title + "\n\n" + table_markdown_block(t) + "\nFiles: [Markdown](tables/" + t.id + ".md) · [LaTeX](tables/" +
          t.id + ".tex) · [CSV](tables/" + t.id + ".csv)\n\n";
  md += "All aggregated metrics: [tables/results.csv](tables/results.csv); every run's metrics: "
        "[tables/runs.csv](tables/runs.csv).\n\n## Figures\n\n";
  std::string group;
  for (size_t i = 0; i < figures.size(); ++i) {
    const Figure& f = figures[i];
    const FigureFiles& ff = files[i];
    if (f.group != group) {
      group = f.group;
      md += "### " + group + "\n\n";
    }
    md += "#### " + f.title + "\n\n";
    if (ff.rendered) md += "![" + f.title + "](figures/" + ff.png + ")\n\n";
    else md += "*Not rendered: " + ff.error + "*\n\n";
    md += "*Provenance: " + f.provenance.line() + "*  \n";
    md += (ff.rendered ? "[SVG](figures/" + ff.svg + ") · " : std::string()) + "[data](figures/" + ff.dat +
          ") · [gnuplot script](figures/" + ff.gp + ")\n\n";
  }
  sum.index_md = (out / "index.md").string();
  write_file(sum.index_md, md);
  sum.files.push_back("index.md");

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title) +
                     "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n<ul>\n";
  for (const auto& f : facts) html += "<li>" + html_escape(f) + "</li>\n";
  html += "</ul>\n<p class=\"prov\">Provenance: " + html_escape(whole.line()) + "</p>\n";
  if (!unfinished.empty()) {
    html += "<h2>Cells without results</h2>\n<table><thead><tr><th>Method</th><th>Dataset</th><th>Bits</th><th>Seed</th>"
            "<th>Status</th><th>Error</th></tr></thead><tbody>\n";
    for (const RunInfo* r : unfinished)
      html += "<tr><th>" + html_escape(r->row) + "</th><td>" + html_escape(r->dataset) + "</td><td>" +
              std::to_string(r->bits) + "</td><td>" + std::to_string(r->seed) + "</td><td class=\"status\">" +
              html_escape(r->status) + "</td><td>" + html_escape(r->error) + "</td></tr>\n";
    html += "</tbody></table>\n";
  }
  if (!sum.warnings.empty()) {
    html += "<h2>Warnings</h2>\n<ul>\n";
    for (const auto& w : sum.warnings) html += "<li class=\"warn\">" + html_escape(w) + "</li>\n";
    html += "</ul>\n";
  }
  html += "<h2>Tables</h2>\n";
  for (const Table& t : tables) {
    html += "<h3 id=\"" + t.id + "\">" + html_escape(t.title) + "</h3>\n" + to_html(t) + "<ul class=\"notes\">\n";
    for (const auto& n : t.notes) html += "<li>" + html_escape(n) + "</li>\n";
    html += "</ul>\n<p class=\"prov\">Provenance: " + html_escape(t.provenance.line()) + "<br>Files: <a href=\"tables/" +
            t.id + ".md\">Markdown</a> · <a href=\"tables/" + t.id + ".tex\">LaTeX</a> · <a href=\"tables/" + t.id +
            ".csv\">CSV</a></p>\n";
  }
  html += "<h2>Figures</h2>\n";
  group.clear();
  for (size_t i = 0; i < figures.size(); ++i) {
    const Figure& f = figures[i];
    const FigureFiles& ff = files[i];
    if (f.group != group) {
      group = f.group;
      html += "<h3>" + html_escape(group) + "</h3>\n";
    }
    html += "<figure id=\"" + f.id + "\">\n";
    // Embedded, so the page works on its own wherever it is copied.
    if (ff.rendered)
      html += "<img alt=\"" + html_escape(f.title) + "\" src=\"data:image/png;base64," +
              base64(read_file(figures_dir / ff.png)) + "\">\n";
    else
      html += "<p class=\"warn\">Not rendered: " + html_escape(ff.error) + "</p>\n";
    html += "<figcaption><b>" + html_escape(f.title) + "</b><br><span class=\"prov\">Provenance: " +
            html_escape(f.provenance.line()) + "<br>" +
            (ff.rendered ? "<a href=\"figures/" + ff.svg + "\">SVG</a> · " : std::string()) + "<a href=\"figures/" +
            ff.dat + "\">data</a> · <a href=\"figures/" + ff.gp + "\">gnuplot script</a></span></figcaption>\n</figure>\n";
  }
  html += "</body>\n</html>\n";
  sum.index_html = (out / "index.html").string();
  write_file(sum.index_html, html);
  sum.files.push_back("index.html");
  return sum;
}

}  // namespace cmh::plots
