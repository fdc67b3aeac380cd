// Building the index page's content: notes and provenances gathered once, items pointing at them.
#include "report_document.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace cmh::plots {
namespace {

// Numbers the notes: notes about tables in order of first use, then each row's in table order,
// so a method's notes stand together.
class NoteBook {
 public:
  explicit NoteBook(const ResultSet& rs) : rows_(rs.rows) {}
  void add_general(const std::string& text) {
    if (std::find(general_.begin(), general_.end(), text) == general_.end()) general_.push_back(text);
  }
  void add_run_notes(const std::vector<const RunInfo*>& runs) {
    for (const auto& [row, text] : run_notes(runs)) by_row_[row].insert(text);
  }
  std::vector<DocNote> finish() {
    std::vector<DocNote> out;
    for (const auto& g : general_) out.push_back({"", g});
    for (const auto& row : rows_)
      for (const auto& text : by_row_[row]) out.push_back({row, text});
    for (size_t i = 0; i < out.size(); ++i) index_[{out[i].subject, out[i].text}] = i;
    return out;
  }
  size_t general(const std::string& text) const { return index_.at({"", text}); }
  std::vector<size_t> of_runs(const std::vector<const RunInfo*>& runs) const {
    std::vector<size_t> out;
    for (const auto& key : run_notes(runs)) out.push_back(index_.at(key));
    return out;
  }

 private:
  std::vector<std::string> rows_, general_;
  std::map<std::string, std::set<std::string>> by_row_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
};

// The page-wide honesty notes: which data are synthetic, which rows chose epochs on the test set.
struct HonestyNotes {
  std::string synthetic, test_selection;  // "" when no run needs them
};

HonestyNotes honesty_notes(const ResultSet& rs) {
  std::set<std::string> data, rows;
  for (const auto& r : rs.runs) {
    if (r.synthetic()) data.insert(data_description(r));
    if (r.selection_peeks_at_test) rows.insert(r.row);
  }
  HonestyNotes h;
  if (!data.empty()) h.synthetic = "SYNTHETIC data: " + join(data, "; ") + " — not comparable with published numbers.";
  if (!rows.empty())
    h.test_selection = "EPOCH CHOSEN ON THE TEST SET (" + join(rows, ", ") +
                       "): the kept epoch is the one with the best mAP on the query (test) set, as the reference code "
                       "does; these values are optimistic.";
  return h;
}

// The marks of an item whose values come from `runs`; `not_comparable`: the index of its † note.
std::vector<Mark> marks_of(const std::vector<const RunInfo*>& runs, const HonestyNotes& h, const NoteBook& book,
                           std::optional<size_t> not_comparable) {
  bool image = false, text = false, peeks = false;
  for (const RunInfo* r : runs) {
    image |= r->synthetic_image;
    text |= r->synthetic_text;
    peeks |= r->selection_peeks_at_test;
  }
  std::vector<Mark> m;
  if (image || text)
    m.push_back({std::string("SYNTHETIC ") + (image && text ? "image and text" : image ? "image" : "text"),
                 book.general(h.synthetic)});
  if (not_comparable) m.push_back({"† NOT COMPARABLE with published values", *not_comparable});
  if (peeks) m.push_back({"EPOCH CHOSEN ON THE TEST SET", book.general(h.test_selection)});
  return m;
}

// The distinct provenances of the items, each with the names of its datasets.
class Scopes {
 public:
  size_t of(const Provenance& p, const std::vector<const RunInfo*>& runs) {
    const std::string key = p.line();
    auto it = std::find(keys_.begin(), keys_.end(), key);
    if (it != keys_.end()) return static_cast<size_t>(it - keys_.begin());
    keys_.push_back(key);
    std::set<std::string> names;
    for (const RunInfo* r : runs) names.insert(r->dataset);
    scopes_.push_back({p, join(names, "; ")});
    return scopes_.size() - 1;
  }
  std::vector<std::pair<Provenance, std::string>> take() { return std::move(scopes_); }

 private:
  std::vector<std::string> keys_;
  std::vector<std::pair<Provenance, std::string>> scopes_;
};

Refs refs_of(const std::vector<const RunInfo*>& runs, const Provenance& p, const HonestyNotes& h, const NoteBook& book,
             Scopes& scopes, std::vector<size_t> own_notes, std::optional<size_t> not_comparable) {
  Refs r;
  r.marks = marks_of(runs, h, book, not_comparable);
  r.notes = std::move(own_notes);
  for (size_t n : book.of_runs(runs)) r.notes.push_back(n);
  // A note a mark points at is not listed again.
  r.notes.erase(std::remove_if(r.notes.begin(), r.notes.end(),
                               [&](size_t n) {
                                 return std::any_of(r.marks.begin(), r.marks.end(), [&](const Mark& m) { return m.note == n; });
                               }),
                r.notes.end());
  std::sort(r.notes.begin(), r.notes.end());
  r.notes.erase(std::unique(r.notes.begin(), r.notes.end()), r.notes.end());
  r.scope = scopes.of(p, runs);
  return r;
}

}  // namespace

std::vector<NoteGroup> group_notes(const Document& doc, const std::vector<size_t>& notes) {
  std::vector<NoteGroup> out;
  for (size_t n : notes) {  // ascending, so each subject's notes are contiguous
    const std::string& subject = doc.notes.at(n).subject;
    if (out.empty() || out.back().first != subject) out.push_back({subject, {}});
    out.back().second.push_back(n);
  }
  return out;
}

std::string note_anchor(size_t note) { return "note-" + std::to_string(note + 1); }
std::string scope_anchor(size_t scope) { return "prov-" + std::to_string(scope + 1); }

Document build_document(const ResultSet& rs, const std::vector<Table>& tables, const std::vector<Figure>& figures,
                        const std::vector<FigureFiles>& files, const DocumentInput& in) {
  Document doc;
  doc.title = "cmhbench report";
  for (size_t i = 0; i < rs.experiments.size(); ++i) doc.title += (i ? ", " : ": ") + rs.experiments[i];
  doc.facts = {"Database: " + in.db_path,
               std::to_string(rs.runs.size()) + " runs: " + std::to_string(in.done) + " done, " +
                   std::to_string(in.failed) + " failed, " + std::to_string(in.running) + " running",
               "Generated: " + in.generated,
               "Published values: " + (in.published_path.empty() ? std::string("none") : in.published_path)};
  if (rs.superseded)
    doc.facts.push_back(std::to_string(rs.superseded) +
                        " older run(s) of the same cell description (other parameters) are left out; the latest is shown");
  for (const auto& r : rs.runs)
    if (r.status != "done") doc.unfinished.push_back(&r);
  doc.warnings = in.warnings;

  std::vector<const RunInfo*> all;
  for (const auto& r : rs.runs) all.push_back(&r);
  doc.whole = provenance_of(all, in.generated);

  // Notes first, so that every item can point at its numbers.
  const HonestyNotes honesty = honesty_notes(rs);
  NoteBook book(rs);
  if (!honesty.synthetic.empty()) book.add_general(honesty.synthetic);
  if (!honesty.test_selection.empty()) book.add_general(honesty.test_selection);
  for (const Table& t : tables) {
    for (const auto& n : t.notes) book.add_general(n);
    book.add_run_notes(t.runs);
  }
  for (const Figure& f : figures) book.add_run_notes(f.runs);
  doc.notes = book.finish();
  std::vector<size_t> every(doc.notes.size());
  for (size_t i = 0; i < every.size(); ++i) every[i] = i;
  doc.note_groups = group_notes(doc, every);

  Scopes scopes;
  for (const Table& t : tables) {
    std::vector<size_t> own;
    for (const auto& n : t.notes) own.push_back(book.general(n));
    std::optional<size_t> nc;
    if (t.not_comparable_note) nc = book.general(t.notes[*t.not_comparable_note]);
    TableItem item{&t, refs_of(t.runs, t.provenance, honesty, book, scopes, own, nc), {}};
    static const std::pair<const char*, const char*> kFiles[] = {{"Markdown", ".md"}, {"LaTeX", ".tex"}, {"CSV", ".csv"}};
    for (const auto& [label, ext] : kFiles) item.files.push_back({label, "tables/" + t.id + ext});
    doc.tables.push_back(std::move(item));
  }
  doc.data_files = {{"tables/results.csv", "tables/results.csv"}, {"tables/runs.csv", "tables/runs.csv"}};
  for (size_t i = 0; i < figures.size(); ++i) {
    const Figure& f = figures[i];
    const FigureFiles& ff = files[i];
    FigureItem item{&f, &ff, ff.rendered ? "figures/" + ff.png : "", refs_of(f.runs, f.provenance, honesty, book, scopes, {}, {}), {}};
    if (ff.rendered) item.links.push_back({"SVG", "figures/" + ff.svg});
    item.links.push_back({"data", "figures/" + ff.dat});
    item.links.push_back({"gnuplot script", "figures/" + ff.gp});
    if (doc.figure_groups.empty() || doc.figure_groups.back().title != f.group) doc.figure_groups.push_back({f.group, {}});
    doc.figure_groups.back().figures.push_back(std::move(item));
  }
  doc.marks = marks_of(all, honesty, book, std::nullopt);

  const auto distinct = scopes.take();
  const auto whole_fields = doc.whole.fields();
  std::vector<size_t> differing;
  for (size_t k = 0; k < whole_fields.size(); ++k)
    if (std::any_of(distinct.begin(), distinct.end(),
                    [&](const auto& s) { return s.first.fields().at(k).second != whole_fields[k].second; })) {
      differing.push_back(k);
      doc.scope_fields.push_back(whole_fields[k].first);
    }
  for (const auto& [p, datasets] : distinct) {
    const auto fields = p.fields();
    doc.scope_values.emplace_back();
    // Data by name: what is synthetic, and from which source, stands once in the whole list.
    for (size_t k : differing) doc.scope_values.back().push_back(fields[k].first == "data" ? datasets : fields[k].second);
  }
  return doc;
}

}  // namespace cmh::plots
