// `cmhbench report`: every table and figure of one database into a folder, with an index page
// in Markdown and self-contained HTML. Torch-free; the database is opened read-only.
#pragma once

#include <string>
#include <vector>

namespace cmh::plots {

struct ReportOptions {
  std::string db_path;
  std::string experiment;      ///< only this experiment's runs; empty: all
  std::string out_dir;
  std::string published_path;  ///< published values CSV; empty: the default places (see report.cpp)
  std::string gnuplot;         ///< gnuplot executable; empty: the one found at build time or on PATH
  bool render = true;          ///< false: write .dat/.gp only
  int width = 800, height = 560;  ///< figure size in pixels
};

struct ReportSummary {
  std::string index_md, index_html;  ///< paths written
  int runs = 0, done = 0, failed = 0, running = 0;
  int tables = 0, figures = 0, rendered = 0;
  std::vector<std::string> files;     ///< every file written, relative to out_dir
  std::vector<std::string> warnings;  ///< e.g. figures that did not render
  std::string published_path;         ///< the published values used ("" when none)
};

/// Writes the report. Bad input (missing database, unknown experiment, unreadable published
/// values, an output path that is a file) is a cmh::InputError naming it and the fix.
ReportSummary write_report(const ReportOptions& opt);

/// The default published-values file: results/reference/published_map.csv under the current
/// folder, else under the source tree this binary was built from; "" when neither exists.
std::string default_published_path();

}  // namespace cmh::plots
