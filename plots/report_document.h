// The index page's content, built once from the tables and figures and walked by the Markdown
// and HTML renderers (report_render.h): each note and each provenance stated once, in their own
// sections; tables and figures refer to them and carry the honesty marks that apply to them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "figures.h"
#include "results.h"
#include "tables.h"

namespace cmh::plots {

/// One numbered note of the page ([1], [2], …: its index + 1).
struct DocNote {
  std::string subject;  ///< "" for a note about tables; else the row (method) whose runs recorded it
  std::string text;
};

/// A flag shown on every table and figure it applies to (synthetic data, a value not comparable
/// with its published one, an epoch chosen on the test set), pointing at the note that explains it.
struct Mark {
  std::string label;  ///< "SYNTHETIC image and text"
  size_t note = 0;    ///< index into Document::notes
};

/// What a table or figure refers to instead of repeating it.
struct Refs {
  std::vector<Mark> marks;
  std::vector<size_t> notes;  ///< indices into Document::notes, ascending
  size_t scope = 0;           ///< index into Document::scope_values
};

struct Link {
  std::string label, href;  ///< href relative to the report folder
};

struct TableItem {
  const Table* table = nullptr;
  Refs refs;
  std::vector<Link> files;  ///< its Markdown, LaTeX and CSV files
};

struct FigureItem {
  const Figure* figure = nullptr;
  const FigureFiles* files = nullptr;
  std::string png;  ///< the rendered PNG, relative to the report folder ("" when not rendered)
  Refs refs;
  std::vector<Link> links;  ///< SVG (when rendered), data, gnuplot script
};

struct FigureGroup {
  std::string title;  ///< "Precision–recall curves (Hamming radius 0…k)"
  std::vector<FigureItem> figures;
};

/// Notes shown together: those about tables ("" subject), or one row's.
using NoteGroup = std::pair<std::string, std::vector<size_t>>;

struct Document {
  std::string title;
  std::vector<std::string> facts;  ///< the page's opening list (database, counts, published values…)
  std::vector<Mark> marks;         ///< those of the whole report, shown under its title
  std::vector<const RunInfo*> unfinished;
  std::vector<std::string> warnings;
  std::vector<TableItem> tables;
  std::vector<Link> data_files;  ///< every aggregated metric, every run's metrics
  std::vector<FigureGroup> figure_groups;
  std::vector<DocNote> notes;  ///< notes about tables first, then each row's in table order
  std::vector<NoteGroup> note_groups;  ///< every note, grouped by subject
  Provenance whole;            ///< every run of the report
  /// The distinct provenances of the tables and figures (P1, P2, …), as the values of the
  /// fields in which some of them differ from `whole` (the others are whole's); data by dataset
  /// name only (the descriptions stand in `whole`).
  std::vector<std::string> scope_fields;               ///< Provenance::fields() names, in that order
  std::vector<std::vector<std::string>> scope_values;  ///< [scope][field of scope_fields]
};

/// What the page is built from besides the tables and figures.
struct DocumentInput {
  std::string db_path, published_path, generated;
  int done = 0, failed = 0, running = 0;
  std::vector<std::string> warnings;
};

/// Builds the page. `tables`, `figures` and `files` (one per figure) must outlive the result.
Document build_document(const ResultSet& rs, const std::vector<Table>& tables, const std::vector<Figure>& figures,
                        const std::vector<FigureFiles>& files, const DocumentInput& in);

/// An item's notes grouped for display: (subject, note indices) with notes about tables ("")
/// first, then each row's in the order the notes are numbered.
std::vector<NoteGroup> group_notes(const Document& doc, const std::vector<size_t>& notes);

/// Anchors shared by the renderers: "note-3" for notes[2], "prov-2" for scope_values[1].
std::string note_anchor(size_t note);
std::string scope_anchor(size_t scope);

}  // namespace cmh::plots
