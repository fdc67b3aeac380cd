// `cmhbench report DB --out DIR`: tables, figures and an index page from a results database.
#include <cstdio>

#include "cli/options.h"
#include "common/error.h"
#include "plots/report.h"

namespace cmh::cli {

int report_command(const Args& args) {
  po::options_description opt("options");
  plots::ReportOptions ro;
  std::string size;
  opt.add_options()
    ("db", po::value(&ro.db_path)->required(), "results database (results/<experiment>.sqlite)")
    ("out", po::value(&ro.out_dir)->required(), "output folder (created when missing; files in it are replaced)")
    ("experiment", po::value(&ro.experiment), "only this experiment's runs (default: every run in the database)")
    ("published", po::value(&ro.published_path), "published values CSV (default results/reference/published_map.csv)")
    ("gnuplot", po::value(&ro.gnuplot), "gnuplot executable (default: the one found at build time, else PATH)")
    ("size", po::value(&size), "figure size in pixels, WIDTHxHEIGHT (default 800x560)")
    ("no-render", "write figures as .dat and .gp only, without running gnuplot");
  po::positional_options_description pos;
  pos.add("db", 1);
  po::variables_map vm;
  if (!parse_options("report", "DB --out DIR [options]", args, opt, pos, vm)) return 0;
  if (!size.empty()) {
    int w = 0, h = 0;
    char tail = 0;
    if (std::sscanf(size.c_str(), "%dx%d%c", &w, &h, &tail) != 2 || w < 100 || h < 100 || w > 10000 || h > 10000)
      throw InputError("--size '" + size + "': give WIDTHxHEIGHT in pixels, each 100…10000, e.g. 800x560");
    ro.width = w;
    ro.height = h;
  }
  ro.render = vm.count("no-render") == 0;
  const plots::ReportSummary s = plots::write_report(ro);
  for (const auto& w : s.warnings) std::fprintf(stderr, "report: warning: %s\n", w.c_str());
  std::printf("report: %d runs (%d done, %d failed, %d running) -> %d tables, %d figures (%d rendered)\n", s.runs,
              s.done, s.failed, s.running, s.tables, s.figures, s.rendered);
  std::printf("report: %s\nreport: %s\n", s.index_md.c_str(), s.index_html.c_str());
  return 0;
}

}  // namespace cmh::cli
