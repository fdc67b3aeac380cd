// Figures: built from stored curves, written as .dat data and a .gp gnuplot script each, and
// rendered to PNG and SVG through gnuplot-iostream. Torch-free.
#pragma once

#include <string>
#include <vector>

#include "results.h"

namespace cmh::store {
class Store;
}

namespace cmh::plots {

struct Series {
  enum class Style { Lines, LinesPoints, Points, ErrorLines };
  std::string title;
  int colour = 0;  ///< palette index (ResultSet::row_colour), the same method → the same colour
  Style style = Style::LinesPoints;
  bool y2 = false;  ///< plotted against the right axis (learning rate)
  bool dashed = false;
  std::vector<double> x, y, err;  ///< err: empty, or one standard deviation per point
};

struct Figure {
  std::string id;     ///< file stem, unique in the report: "pr_synthetic_16_i2t"
  std::string kind;   ///< pr, topn, map_bits, bitscale, loss
  std::string group;  ///< heading on the index page
  std::string title, xlabel, ylabel, y2label;
  std::vector<Series> series;
  std::vector<double> xtics;  ///< explicit tics (code lengths); empty: automatic
  double xtics_step = 0;  ///< 0: automatic
  bool log2x = false;
  bool unit_y = false;  ///< y in [0, 1]
  std::vector<const RunInfo*> runs;
  Provenance provenance;
};

/// Colour of a palette index as "#rrggbb"; indices past the palette wrap around.
std::string palette_colour(int index);

/// Every figure a report shows: PR and precision@N per dataset × bits × direction, mAP versus
/// code length per dataset × direction, bit-scalable mAP where bitscale curves exist, and
/// training curves per run that logged epochs.
std::vector<Figure> build_figures(const ResultSet& rs, const store::Store& db, const std::string& generated);

struct RenderOptions {
  int width = 800, height = 560;  ///< PNG size in pixels (SVG uses the same size)
  std::string gnuplot;            ///< executable; empty: not rendered (.dat and .gp still written)
};

struct FigureFiles {
  std::string dat, gp, png, svg;  ///< file names relative to the figure folder
  bool rendered = false;
  std::string error;  ///< why rendering failed (gnuplot's message)
};

/// Writes <dir>/<id>.dat and <id>.gp (re-render: `cd <dir> && gnuplot <id>.gp`) and renders
/// <id>.png and <id>.svg when a gnuplot is given. Never throws for a rendering failure.
FigureFiles write_figure(const Figure& f, const std::string& dir, const RenderOptions& opt);

/// The gnuplot to use: `preferred` when it is executable, else the first `gnuplot` on PATH;
/// "" when there is none.
std::string find_gnuplot(const std::string& preferred);

/// A file-name-safe form of a label: "mirflickr25k (synthetic images)" → "mirflickr25k_synthetic_images".
std::string slug(const std::string& s);

}  // namespace cmh::plots
