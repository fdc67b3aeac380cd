// `cmhbench report` on a crafted database: every expected file, valid PNGs of the asked size,
// tables holding the stored values, failed/running cells shown as such, honesty marks.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crafted_db.h"
#include "plots/csv.h"
#include "plots/report.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// Width and height from a PNG's IHDR chunk, after checking the signature; {0, 0} if invalid.
std::pair<uint32_t, uint32_t> png_size(const std::string& path) {
  const std::string b = cmh::test::read_file(path);
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 24 || b.compare(0, 8, std::string(reinterpret_cast<const char*>(kSig), 8)) != 0) return {0, 0};
  if (b.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](size_t o) {
    return (uint32_t(uint8_t(b[o])) << 24) | (uint32_t(uint8_t(b[o + 1])) << 16) | (uint32_t(uint8_t(b[o + 2])) << 8) |
           uint32_t(uint8_t(b[o + 3]));
  };
  return {be32(16), be32(20)};
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

struct Fixture {
  cmh::test::TempDir dir;
  std::string db = dir / "crafted.sqlite", out = dir / "report", published = dir / "published.csv";
  cmh::plots::ReportSummary summary;
  Fixture() {
    cmh::test::make_crafted_db(db);
    std::ofstream(published) << cmh::test::kPublishedCsv;
    cmh::plots::ReportOptions o;
    o.db_path = db;
    o.out_dir = out;
    o.published_path = published;
    o.width = 640;
    o.height = 400;
    summary = cmh::plots::write_report(o);
  }
};

}  // namespace

TEST_CASE("a report from a crafted database writes every expected file", "[plots][report]") {
  Fixture f;
  CHECK(f.summary.runs == 8);
  CHECK(f.summary.done == 6);
  CHECK(f.summary.failed == 1);
  CHECK(f.summary.running == 1);
  for (const char* p : {"index.md", "index.html", "tables/results.csv", "tables/runs.csv"})
    CHECK(fs::exists(f.out + "/" + p));
  for (const char* d : {"i2t", "t2i", "i2i", "t2t"})
    for (const char* ext : {".md", ".tex", ".csv"}) CHECK(fs::exists(f.out + "/tables/map_" + d + ext));
  // SCAHN's bit-scalable results get their own tables (the directions its curves have).
  for (const char* d : {"i2t", "t2i"})
    for (const char* ext : {".md", ".tex", ".csv"}) CHECK(fs::exists(f.out + "/tables/bitscale_scahn_" + d + ext));
  CHECK_FALSE(fs::exists(f.out + "/tables/bitscale_scahn_i2i.md"));

  // One figure per kind we expect, each as data, script, PNG and SVG.
  const std::string synth = "mirflickr25k_synthetic_images";
  const std::vector<std::string> figures = {
      "map_bits_" + synth + "_i2t", "map_bits_wikipedia_t2t",        "pr_" + synth + "_16_i2t",
      "pr_" + synth + "_32_t2t",    "pr_wikipedia_16_t2i",           "topn_" + synth + "_16_i2t",
      "topn_wikipedia_16_i2i",      "bitscale_scahn_" + synth + "_i2t", "bitscale_scahn_" + synth + "_t2i",
      "loss_mlsph_" + synth + "_32_seed1"};
  for (const auto& id : figures)
    for (const char* ext : {".dat", ".gp", ".png", ".svg"}) {
      INFO(id + ext);
      CHECK(fs::exists(f.out + "/figures/" + id + ext));
    }
  // No figure for cells without curves: the failed CCA 32-bit cell, the running MLSPH 16-bit one
  // leave the 32-bit PR figure with MLSPH and SCAHN only; CCA logged no epochs.
  CHECK_FALSE(fs::exists(f.out + "/figures/loss_cca_" + synth + "_16_seed1.gp"));
  CHECK(f.summary.figures == f.summary.rendered);
  CHECK(f.summary.warnings.empty());
}

TEST_CASE("report PNGs are valid and have the asked size", "[plots][report]") {
  Fixture f;
  int pngs = 0;
  for (const auto& e : fs::directory_iterator(f.out + "/figures")) {
    if (e.path().extension() != ".png") continue;
    ++pngs;
    INFO(e.path().string());
    const auto [w, h] = png_size(e.path().string());
    CHECK(w == 640);
    CHECK(h == 400);
    const std::string svg = cmh::test::read_file(e.path().parent_path() / (e.path().stem().string() + ".svg"));
    CHECK(svg.find("<svg") != std::string::npos);
  }
  CHECK(pngs == f.summary.figures);
  CHECK(pngs >= 10);
}

TEST_CASE("report CSV and Markdown tables hold the stored values", "[plots][report]") {
  Fixture f;
  const auto t = cmh::plots::parse_csv(cmh::test::read_file(f.out + "/tables/map_i2t.csv"));
  REQUIRE(t.header.size() == 4);  // method + synthetic 16, 32 + wikipedia 16
  CHECK(t.header[1] == "mirflickr25k (synthetic images) 16 bits");
  CHECK(t.header[3] == "wikipedia 16 bits");
  std::map<std::string, std::map<std::string, std::string>> by_row;
  for (const auto& r : t.rows) by_row[r.at("method")] = r;
  // Rows in registry order: baselines first, the papers' methods last.
  REQUIRE(t.rows.size() == 4);
  CHECK(t.rows[0].at("method") == "CCA");
  CHECK(t.rows[1].at("method") == "CMFH");
  CHECK(t.rows[2].at("method") == "MLSPH");
  CHECK(t.rows[3].at("method") == "SCAHN");
  CHECK(std::stod(by_row["CCA"]["mirflickr25k (synthetic images) 16 bits"]) == Approx(0.62).margin(1e-6));
  CHECK(by_row["CCA"]["mirflickr25k (synthetic images) 32 bits"] == "failed");
  CHECK(by_row["MLSPH"]["mirflickr25k (synthetic images) 16 bits"] == "running");
  CHECK(std::stod(by_row["MLSPH"]["mirflickr25k (synthetic images) 32 bits"]) == Approx(0.70).margin(1e-6));
  CHECK(std::stod(by_row["CMFH"]["wikipedia 16 bits"]) == Approx(0.25).margin(1e-6));
  CHECK(by_row["CCA"]["wikipedia 16 bits"] == "—");  // no run at all

  // The other directions carry their own stored values.
  const auto t2t = cmh::plots::parse_csv(cmh::test::read_file(f.out + "/tables/map_t2t.csv"));
  CHECK(std::stod(t2t.rows[1].at("wikipedia 16 bits")) == Approx(0.32).margin(1e-6));

  // runs.csv: every stored metric of every run, exactly.
  const auto runs = cmh::plots::parse_csv(cmh::test::read_file(f.out + "/tables/runs.csv"));
  bool seen = false;
  for (const auto& r : runs.rows)
    if (r.at("label") == "cca" && r.at("seed") == "2" && r.at("direction") == "i2t" && r.at("metric") == "map") {
      CHECK(std::stod(r.at("value")) == 0.64);
      seen = true;
    }
  CHECK(seen);

  const std::string md = cmh::test::read_file(f.out + "/tables/map_i2t.md");
  CHECK(md.find("0.6200 ± 0.0283") != std::string::npos);  // two seeds: mean ± sample std
  CHECK(md.find("*failed*") != std::string::npos);
  CHECK(md.find("*running*") != std::string::npos);
  // Best of the synthetic 32-bit column: MLSPH 0.70 over SCAHN 0.69.
  CHECK(md.find("**0.7000**") != std::string::npos);
  // Honesty rule: our MIRFLICKR runs have synthetic images: the published value is shown but
  // marked, with no difference; Wikipedia is real, so the difference is given.
  CHECK(md.find("pub. 0.5719†") != std::string::npos);
  CHECK(md.find("NOT COMPARABLE") != std::string::npos);
  CHECK(md.find("pub. 0.2130, Δ +0.0370") != std::string::npos);
  CHECK(md.find("Provenance: experiment: crafted") != std::string::npos);

  const std::string tex = cmh::test::read_file(f.out + "/tables/map_i2t.tex");
  CHECK(tex.find("\\toprule") != std::string::npos);
  CHECK(tex.find("\\textbf{0.7000}") != std::string::npos);
  CHECK(tex.find("\\multicolumn{2}{c}{mirflickr25k (synthetic images)}") != std::string::npos);

  const std::string bs = cmh::test::read_file(f.out + "/tables/bitscale_scahn_i2t.csv");
  const auto b = cmh::plots::parse_csv(bs);
  REQUIRE(b.rows.size() == 2);
  CHECK(b.rows[0].at("method") == "first k' bits of the 32-bit model");
  CHECK(std::stod(b.rows[0].at("mirflickr25k (synthetic images) 8 kept bits")) == Approx(0.60).margin(1e-6));
  CHECK(b.rows[1].at("method") == "trained at k' bits");
  CHECK(std::stod(b.rows[1].at("mirflickr25k (synthetic images) 16 kept bits")) == Approx(0.66).margin(1e-6));
  CHECK(b.rows[1].at("mirflickr25k (synthetic images) 8 kept bits") == "—");
}

namespace {

// The part of a page from `start` to the next `end` ("" when `start` is absent).
std::string between(const std::string& page, const std::string& start, const std::string& end) {
  const size_t a = page.find(start);
  if (a == std::string::npos) return "";
  const size_t b = page.find(end, a + start.size());
  return page.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

// The number [n] the page gives the note `text` ("" when it is not there).
std::string note_number(const std::string& md, const std::string& text) {
  const size_t p = md.find("] " + text);
  if (p == std::string::npos) return "";
  const size_t open = md.rfind('[', p);
  return md.substr(open, p + 1 - open);
}

}  // namespace

TEST_CASE("report index pages state provenance and each note once, and tables and figures refer to them", "[plots][report]") {
  Fixture f;
  const std::string md = cmh::test::read_file(f.out + "/index.md");
  const std::string html = cmh::test::read_file(f.out + "/index.html");
  const size_t items = static_cast<size_t>(f.summary.tables + f.summary.figures);
  CHECK(count(md, "](figures/") >= static_cast<size_t>(f.summary.figures));
  // Self-contained: every image is embedded.
  CHECK(count(html, "src=\"data:image/png;base64,") == static_cast<size_t>(f.summary.figures));
  CHECK(count(html, "<img") == static_cast<size_t>(f.summary.figures));
  // Failed and running cells are listed with their error.
  CHECK(md.find("out of memory while training") != std::string::npos);
  CHECK(html.find("running") != std::string::npos);

  // Provenance: one section naming every field once; each table and figure points at it.
  CHECK(count(md, "## Provenance") == 1);
  CHECK(count(html, "<h2 id=\"provenance\">") == 1);
  CHECK(count(md, "*Provenance: ") == 0);  // no provenance line under each item any more
  for (const char* field : {"seeds: 1, 2", "code: abc1234", "ties: ties in Hamming distance broken by database index",
                            "experiment: crafted"}) {
    INFO(field);
    CHECK(count(md, field) == 1);
  }
  CHECK(md.find("selection: best_query (chosen on the test queries: optimistic), final") != std::string::npos);
  CHECK(count(md, "Provenance: P") == items);
  CHECK(count(html, "Provenance: <a href=\"#prov-") == items);
  // Scopes differ (a figure per dataset, one per run): each is a row of the provenance table.
  CHECK(html.find("<tr id=\"prov-2\">") != std::string::npos);

  // Notes: each stated once, numbered; the tables and figures of the runs that recorded it refer to it.
  const std::string scahn_text = std::string(cmh::test::kScahnNote).substr(std::string("scahn: ").size());
  CHECK(count(md, scahn_text) == 1);
  CHECK(count(html, scahn_text) == 1);
  const std::string scahn = note_number(md, scahn_text);
  REQUIRE_FALSE(scahn.empty());
  CHECK(count(md, "NOT COMPARABLE: our runs used") == 1);
  CHECK(count(md, "Bold: best value of its column. Ranking ties") == 1);

  // Honesty marks stay on every table and figure they concern, pointing at their note.
  const std::string synthetic = note_number(md, "SYNTHETIC data: ");
  const std::string test_set = note_number(md, "EPOCH CHOSEN ON THE TEST SET (MLSPH)");
  REQUIRE_FALSE(synthetic.empty());
  REQUIRE_FALSE(test_set.empty());
  CHECK(md.find("This report: **SYNTHETIC image** " + synthetic) != std::string::npos);
  for (const char* title : {"mAP@all, image → text (I→T)", "mAP@all, text → text (T→T)"}) {
    INFO(title);
    const std::string t = between(md, std::string("### ") + title + "\n", "\n#");
    REQUIRE_FALSE(t.empty());
    CHECK(t.find("**SYNTHETIC image** " + synthetic) != std::string::npos);
    CHECK(t.find("**EPOCH CHOSEN ON THE TEST SET** " + test_set) != std::string::npos);
    CHECK(t.find("SCAHN: " + scahn) != std::string::npos);
  }
  // Only the I→T table has a published value beside a synthetic run.
  CHECK(between(md, "### mAP@all, image → text (I→T)\n", "\n#").find("**† NOT COMPARABLE") != std::string::npos);
  CHECK(between(md, "### mAP@all, text → image (T→I)\n", "\n#").find("NOT COMPARABLE") == std::string::npos);
  const std::string bitscale = between(md, "### SCAHN: mAP@all of the first k' bits", "\n#");
  CHECK(bitscale.find("**SYNTHETIC image**") != std::string::npos);
  CHECK(bitscale.find("SCAHN: " + scahn) != std::string::npos);
  CHECK(bitscale.find("TEST SET") == std::string::npos);  // SCAHN kept its final epoch
  // Figures: the synthetic MLSPH run's training curve is marked twice; Wikipedia's PR curve not at all.
  const std::string loss = between(md, "#### Training, MLSPH", "\n#");
  CHECK(loss.find("**SYNTHETIC image**") != std::string::npos);
  CHECK(loss.find("**EPOCH CHOSEN ON THE TEST SET**") != std::string::npos);
  const std::string wiki = between(md, "#### Precision–recall, wikipedia, 16 bits, T→I", "\n#");
  REQUIRE_FALSE(wiki.empty());
  CHECK(wiki.find("SYNTHETIC") == std::string::npos);
  CHECK(wiki.find("TEST SET") == std::string::npos);
  // The HTML page carries the same marks as links to the same notes.
  const std::string map_html = between(html, "<section id=\"map_i2t\">", "</section>");
  CHECK(map_html.find("<a class=\"mark\" href=\"#note-" + synthetic.substr(1, synthetic.size() - 2) +
                      "\">SYNTHETIC image") != std::string::npos);
  CHECK(map_html.find("SCAHN: <a href=\"#note-" + scahn.substr(1, scahn.size() - 2) + "\">") != std::string::npos);
  CHECK(between(html, "<figure id=\"pr_wikipedia_16_t2i\">", "</figure>").find("class=\"mark\"") == std::string::npos);

  // A table's own file stands alone: its notes and provenance in full.
  const std::string table_md = cmh::test::read_file(f.out + "/tables/map_i2t.md");
  CHECK(table_md.find("Note — SCAHN: bit_rank = reference") != std::string::npos);
  CHECK(table_md.find("*Provenance: experiment: crafted") != std::string::npos);
}

TEST_CASE("a figure's .gp script re-renders it from its folder", "[plots][report]") {
  Fixture f;
  const std::string figs = f.out + "/figures";
  const std::string id = "map_bits_mirflickr25k_synthetic_images_i2t";
  fs::remove(figs + "/" + id + ".png");
  const auto r = cmh::test::run_command("cd '" + figs + "' && gnuplot " + id + ".gp");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(png_size(figs + "/" + id + ".png") == std::pair<uint32_t, uint32_t>(640, 400));
}

TEST_CASE("report refuses bad input with a message naming it", "[plots][report]") {
  cmh::test::TempDir dir;
  const std::string db = dir / "crafted.sqlite";
  cmh::test::make_crafted_db(db);
  const std::string exe = CMHBENCH_EXE;

  auto r = cmh::test::run_command(exe + " report " + (dir / "missing.sqlite") + " --out " + (dir / "o"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("missing.sqlite") != std::string::npos);
  CHECK(r.output.find("does not exist") != std::string::npos);

  r = cmh::test::run_command(exe + " report " + db + " --experiment nope --out " + (dir / "o"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("experiment 'nope'") != std::string::npos);
  CHECK(r.output.find("crafted") != std::string::npos);  // names the ones it holds

  cmh::test::write_text(dir / "bad.csv", "source,dataset\nx\n");
  r = cmh::test::run_command(exe + " report " + db + " --published " + (dir / "bad.csv") + " --out " + (dir / "o"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("bad.csv") != std::string::npos);

  // The CLI end to end on the good database, with the experiment named.
  r = cmh::test::run_command(exe + " report " + db + " --experiment crafted --no-render --out " + (dir / "o"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "o/index.html"));
  CHECK(fs::exists(dir / "o/figures/map_bits_wikipedia_i2t.gp"));
  CHECK_FALSE(fs::exists(dir / "o/figures/map_bits_wikipedia_i2t.png"));
}
