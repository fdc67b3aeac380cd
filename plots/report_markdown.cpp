// index.md from the report's Document.
#include <algorithm>

#include "report_render.h"

namespace cmh::plots {
namespace {

std::string note_ref(size_t n) { return "[" + std::to_string(n + 1) + "]"; }

std::string marks_line(const std::vector<Mark>& marks) {
  std::string s;
  for (const Mark& m : marks) s += (s.empty() ? "" : " · ") + ("**" + m.label + "** " + note_ref(m.note));
  return s;
}

// "Notes: [2] [3] · CCA: [9] · Provenance: P1"
std::string refs_line(const Document& doc, const Refs& r) {
  std::string s;
  for (const auto& [subject, notes] : group_notes(doc, r.notes)) {
    s += s.empty() ? "Notes: " : " · ";
    if (!subject.empty()) s += subject + ": ";
    for (size_t i = 0; i < notes.size(); ++i) s += (i ? " " : "") + note_ref(notes[i]);
  }
  return s + (s.empty() ? "" : " · ") + "Provenance: P" + std::to_string(r.scope + 1);
}

std::string links_line(const std::vector<Link>& links) {
  std::string s;
  for (const Link& l : links) s += (s.empty() ? "" : " · ") + ("[" + l.label + "](" + l.href + ")");
  return s;
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '|', '/');
  return s;
}

}  // namespace

std::string render_markdown(const Document& doc) {
  std::string md = "# " + doc.title + "\n\n";
  for (const auto& f : doc.facts) md += "- " + f + "\n";
  if (!doc.marks.empty()) md += "\nThis report: " + marks_line(doc.marks) + " (see Notes).\n";
  md += "\n";
  if (!doc.unfinished.empty()) {
    md += "## Cells without results\n\n| Method | Dataset | Bits | Seed | Status | Error |\n|---|---|---:|---:|---|---|\n";
    for (const RunInfo* r : doc.unfinished)
      md += "| " + r->row + " | " + r->dataset + " | " + std::to_string(r->bits) + " | " + std::to_string(r->seed) +
            " | " + r->status + " | " + one_line(r->error) + " |\n";
    md += "\n";
  }
  if (!doc.warnings.empty()) {
    md += "## Warnings\n\n";
    for (const auto& w : doc.warnings) md += "- " + w + "\n";
    md += "\n";
  }

  md += "## Tables\n\n";
  if (doc.tables.empty()) md += "No runs to tabulate.\n\n";
  for (const TableItem& t : doc.tables) {
    md += "### " + t.table->title + "\n\n";
    if (!t.refs.marks.empty()) md += marks_line(t.refs.marks) + "\n\n";
    md += to_markdown(*t.table) + "\n" + refs_line(doc, t.refs) + "  \nFiles: " + links_line(t.files) + "\n\n";
  }
  md += "All aggregated metrics: " + links_line({doc.data_files.at(0)}) + "; every run's metrics: " +
        links_line({doc.data_files.at(1)}) + ".\n\n## Figures\n\n";
  for (const FigureGroup& g : doc.figure_groups) {
    md += "### " + g.title + "\n\n";
    for (const FigureItem& f : g.figures) {
      md += "#### " + f.figure->title + "\n\n";
      if (!f.png.empty()) md += "![" + f.figure->title + "](" + f.png + ")\n\n";
      else md += "*Not rendered: " + f.files->error + "*\n\n";
      if (!f.refs.marks.empty()) md += marks_line(f.refs.marks) + "  \n";
      md += refs_line(doc, f.refs) + "  \n" + links_line(f.links) + "\n\n";
    }
  }

  md += "## Notes\n\n";
  if (doc.notes.empty()) md += "None.\n\n";
  for (const auto& [subject, notes] : doc.note_groups) {
    md += "### " + (subject.empty() ? std::string("About the tables and figures") : subject) + "\n\n";
    for (size_t n : notes) md += "- " + note_ref(n) + " " + doc.notes[n].text + "\n";
    md += "\n";
  }
  md += "## Provenance\n\nEvery run of this report:\n\n";
  for (const auto& [name, value] : doc.whole.fields()) md += "- " + name + ": " + value + "\n";
  md += "\n";
  if (!doc.scope_fields.empty()) {
    md += "Each table and figure names the runs it shows (P1, P2, …); they agree with the list above but for:\n\n| |";
    std::string rule = "|---|";
    for (const auto& f : doc.scope_fields) {
      md += " " + f + " |";
      rule += "---|";
    }
    md += "\n" + rule + "\n";
    for (size_t i = 0; i < doc.scope_values.size(); ++i) {
      md += "| P" + std::to_string(i + 1) + " |";
      for (const auto& value : doc.scope_values[i]) md += " " + one_line(value) + " |";
      md += "\n";
    }
  } else if (!doc.scope_values.empty()) {
    md += "Every table and figure (P1) shows runs with this provenance.\n";
  }
  return md;
}

}  // namespace cmh::plots
