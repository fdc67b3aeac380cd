// index.html from the report's Document: one self-contained page.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report_render.h"

namespace cmh::plots {
namespace {

const char* kCss = R"(body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border-bottom:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
thead th{text-align:center;border-bottom:2px solid #444}tbody th{text-align:left}
.status{color:#b00;font-style:italic}.nc{color:#a60}.prov,.refs{font-size:.85em;color:#555}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}.warn{color:#b00}
.mark{display:inline-block;margin:.1em .4em .1em 0;padding:0 .4em;border:1px solid #b00;border-radius:3px;color:#b00;font-size:.8em;font-weight:bold;text-decoration:none}
ul.notes{font-size:.9em;color:#333;list-style:none;padding-left:0}ul.notes li{margin:.2em 0}
:target{background:#fff3bf}table.scopes td{text-align:left}.scopes td:first-child{font-weight:bold})";

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

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string note_link(size_t n) {
  return "<a href=\"#" + note_anchor(n) + "\">[" + std::to_string(n + 1) + "]</a>";
}

std::string marks_html(const std::vector<Mark>& marks) {
  std::string s;
  for (const Mark& m : marks)
    s += "<a class=\"mark\" href=\"#" + note_anchor(m.note) + "\">" + html_escape(m.label) + " [" +
         std::to_string(m.note + 1) + "]</a>";
  return s;
}

// "Notes: [2] [3] · CCA: [9] · Provenance: P1", each a link to its anchor.
std::string refs_html(const Document& doc, const Refs& r) {
  std::string s;
  for (const auto& [subject, notes] : group_notes(doc, r.notes)) {
    s += s.empty() ? "Notes: " : " · ";
    if (!subject.empty()) s += html_escape(subject) + ": ";
    for (size_t i = 0; i < notes.size(); ++i) s += (i ? " " : "") + note_link(notes[i]);
  }
  return s + (s.empty() ? "" : " · ") + "Provenance: <a href=\"#" + scope_anchor(r.scope) + "\">P" +
         std::to_string(r.scope + 1) + "</a>";
}

std::string links_html(const std::vector<Link>& links) {
  std::string s;
  for (const Link& l : links) s += (s.empty() ? "" : " · ") + ("<a href=\"" + l.href + "\">" + html_escape(l.label) + "</a>");
  return s;
}

}  // namespace

std::string render_html(const Document& doc, const std::string& report_dir) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(doc.title) +
                     "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<h1>" + html_escape(doc.title) + "</h1>\n<ul>\n";
  for (const auto& f : doc.facts) html += "<li>" + html_escape(f) + "</li>\n";
  html += "</ul>\n";
  if (!doc.marks.empty()) html += "<p>This report: " + marks_html(doc.marks) + "</p>\n";
  if (!doc.unfinished.empty()) {
    html += "<h2>Cells without results</h2>\n<table><thead><tr><th>Method</th><th>Dataset</th><th>Bits</th><th>Seed</th>"
            "<th>Status</th><th>Error</th></tr></thead><tbody>\n";
    for (const RunInfo* r : doc.unfinished)
      html += "<tr><th>" + html_escape(r->row) + "</th><td>" + html_escape(r->dataset) + "</td><td>" +
              std::to_string(r->bits) + "</td><td>" + std::to_string(r->seed) + "</td><td class=\"status\">" +
              html_escape(r->status) + "</td><td>" + html_escape(r->error) + "</td></tr>\n";
    html += "</tbody></table>\n";
  }
  if (!doc.warnings.empty()) {
    html += "<h2>Warnings</h2>\n<ul>\n";
    for (const auto& w : doc.warnings) html += "<li class=\"warn\">" + html_escape(w) + "</li>\n";
    html += "</ul>\n";
  }

  html += "<h2>Tables</h2>\n";
  if (doc.tables.empty()) html += "<p>No runs to tabulate.</p>\n";
  for (const TableItem& t : doc.tables) {
    html += "<section id=\"" + t.table->id + "\">\n<h3>" + html_escape(t.table->title) + "</h3>\n";
    if (!t.refs.marks.empty()) html += "<p>" + marks_html(t.refs.marks) + "</p>\n";
    html += to_html(*t.table) + "<p class=\"refs\">" + refs_html(doc, t.refs) + "<br>Files: " + links_html(t.files) +
            "</p>\n</section>\n";
  }
  html += "<p class=\"refs\">All aggregated metrics: " + links_html({doc.data_files.at(0)}) + "; every run's metrics: " +
          links_html({doc.data_files.at(1)}) + ".</p>\n<h2>Figures</h2>\n";
  for (const FigureGroup& g : doc.figure_groups) {
    html += "<h3>" + html_escape(g.title) + "</h3>\n";
    for (const FigureItem& f : g.figures) {
      html += "<figure id=\"" + f.figure->id + "\">\n";
      // Embedded, so the page works on its own wherever it is copied.
      if (!f.png.empty())
        html += "<img alt=\"" + html_escape(f.figure->title) + "\" src=\"data:image/png;base64," +
                base64(read_file(std::filesystem::path(report_dir) / f.png)) + "\">\n";
      else
        html += "<p class=\"warn\">Not rendered: " + html_escape(f.files->error) + "</p>\n";
      html += "<figcaption><b>" + html_escape(f.figure->title) + "</b><br>" +
              (f.refs.marks.empty() ? std::string() : marks_html(f.refs.marks) + "<br>") + "<span class=\"refs\">" +
              refs_html(doc, f.refs) + "<br>" + links_html(f.links) + "</span></figcaption>\n</figure>\n";
    }
  }

  html += "<h2 id=\"notes\">Notes</h2>\n";
  if (doc.notes.empty()) html += "<p>None.</p>\n";
  for (const auto& [subject, notes] : doc.note_groups) {
    html += "<h3>" + html_escape(subject.empty() ? "About the tables and figures" : subject) + "</h3>\n<ul class=\"notes\">\n";
    for (size_t n : notes)
      html += "<li id=\"" + note_anchor(n) + "\"><b>[" + std::to_string(n + 1) + "]</b> " + html_escape(doc.notes[n].text) +
              "</li>\n";
    html += "</ul>\n";
  }

  html += "<h2 id=\"provenance\">Provenance</h2>\n<p>Every run of this report:</p>\n<ul class=\"prov\">\n";
  for (const auto& [name, value] : doc.whole.fields())
    html += "<li><b>" + html_escape(name) + "</b>: " + html_escape(value) + "</li>\n";
  html += "</ul>\n";
  if (!doc.scope_fields.empty()) {
    html += "<p>Each table and figure names the runs it shows (P1, P2, …); they agree with the list above but "
            "for:</p>\n<table class=\"scopes\"><thead><tr><th></th>";
    for (const auto& f : doc.scope_fields) html += "<th>" + html_escape(f) + "</th>";
    html += "</tr></thead><tbody>\n";
    for (size_t i = 0; i < doc.scope_values.size(); ++i) {
      html += "<tr id=\"" + scope_anchor(i) + "\"><td>P" + std::to_string(i + 1) + "</td>";
      for (const auto& value : doc.scope_values[i]) html += "<td>" + html_escape(value) + "</td>";
      html += "</tr>\n";
    }
    html += "</tbody></table>\n";
  } else if (!doc.scope_values.empty()) {
    html += "<p id=\"" + scope_anchor(0) + "\">Every table and figure (P1) shows runs with this provenance.</p>\n";
  }
  return html + "</body>\n</html>\n";
}

}  // namespace cmh::plots
