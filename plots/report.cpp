// The report: tables, figures and the index pages.
#include "report.h"

#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "figures.h"
#include "published.h"
#include "report_render.h"
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

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw InputError("report: cannot write '" + p.string() + "'; check the folder's permissions and free space");
}

// A table's own Markdown file stands alone: it keeps its notes and provenance in full.
std::string table_markdown_file(const Table& t) {
  std::string s = "# " + t.title + "\n\n" + to_markdown(t) + "\n";
  for (const auto& n : footnotes(t)) s += "- " + n + "\n";
  return s + "\n*Provenance: " + t.provenance.line() + "*\n";
}

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
    write_file(tables_dir / (t.id + ".md"), table_markdown_file(t));
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

  // Index pages: one document, two renderings.
  DocumentInput in{opt.db_path, sum.published_path, generated, sum.done, sum.failed, sum.running, sum.warnings};
  const Document doc = build_document(rs, tables, figures, files, in);
  sum.index_md = (out / "index.md").string();
  write_file(sum.index_md, render_markdown(doc));
  sum.files.push_back("index.md");
  sum.index_html = (out / "index.html").string();
  write_file(sum.index_html, render_html(doc, out.string()));
  sum.files.push_back("index.html");
  return sum;
}

}  // namespace cmh::plots
