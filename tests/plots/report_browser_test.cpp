// index.html as a reader's browser sees it: headless Chromium (Debian's `chromium`) opens the
// page of a crafted report and says whether each image decoded, each linked file loads and each
// in-page link has its anchor; then the same with one image corrupted and one file removed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "crafted_db.h"
#include "plots/report.h"
#include "skip.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// Appended to a copy of the page: on load, one line per <img> (decoded: naturalWidth > 0), per
// linked file (read by a synchronous request, which throws when the file does not load) and per
// in-page link (its target exists), written into the DOM that --dump-dom prints.
const char* kProbe = R"(<script>
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img').forEach(function (img, i) {
    out.push((img.complete && img.naturalWidth > 0 ? 'OK' : 'BROKEN') + ' img ' + (img.alt || i));
  });
  document.querySelectorAll('a[href]').forEach(function (a) {
    var h = a.getAttribute('href');
    if (h.charAt(0) === '#') {
      out.push((document.getElementById(h.slice(1)) ? 'OK' : 'BROKEN') + ' anchor ' + h);
      return;
    }
    var ok = false;
    try { var x = new XMLHttpRequest(); x.open('GET', h, false); x.send(); ok = true; } catch (e) {}
    out.push((ok ? 'OK' : 'BROKEN') + ' link ' + h);
  });
  document.querySelectorAll('section').forEach(function (s) {
    var rows = s.querySelectorAll('table tbody tr').length;
    out.push((rows > 0 ? 'OK' : 'BROKEN') + ' table ' + s.id);
  });
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
});
</script>
)";

std::string find_chromium() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string exe = dir + "/" + name;
      if (::access(exe.c_str(), X_OK) == 0) return exe;
    }
  return "";
}

struct Probe {
  std::vector<std::string> ok, broken;  // "img <alt>", "link <href>", "anchor #id", "table <id>"
  std::string output;                   // Chromium's, when the probe did not come back
};

// Opens `page` with the probe appended (a copy beside it, so relative links resolve the same).
Probe probe(const std::string& chromium, const fs::path& page, const fs::path& profile) {
  const fs::path copy = page.parent_path() / "probe.html";
  std::string html = cmh::test::read_file(page.string());
  const size_t body = html.rfind("</body>");
  html.insert(body == std::string::npos ? html.size() : body, kProbe);
  std::ofstream(copy) << html;
  // As root Chromium needs --no-sandbox; file:// pages may read files only with
  // --allow-file-access-from-files; the virtual time budget lets every image decode first.
  const auto r = cmh::test::run_command(
      "timeout 60 '" + chromium + "' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--allow-file-access-from-files --user-data-dir='" + profile.string() + "' --virtual-time-budget=5000 "
      "--dump-dom 'file://" + copy.string() + "' 2>/dev/null");
  Probe p;
  const size_t a = r.output.find("<pre id=\"probe\">"), b = r.output.find("</pre>", a);
  if (a == std::string::npos || b == std::string::npos) {
    p.output = r.output.substr(0, 2000);
    return p;
  }
  std::istringstream lines(r.output.substr(a + 16, b - a - 16));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("OK ", 0) == 0) p.ok.push_back(line.substr(3));
    else p.broken.push_back(line);
  }
  return p;
}

size_t starting(const std::vector<std::string>& v, const std::string& prefix) {
  size_t n = 0;
  for (const auto& s : v) n += s.rfind(prefix, 0) == 0;
  return n;
}

}  // namespace

TEST_CASE("the HTML report in headless Chromium: every image decodes, every linked table and file loads",
          "[plots][report][browser]") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    if (std::getenv("CI")) FAIL("chromium is not on PATH; .ci/install-deps installs it (apt-get install chromium)");
    CMH_SKIP("chromium is not on PATH (apt-get install chromium); skipped because CI is unset, in CI this fails");
  }
  cmh::test::TempDir dir;
  const std::string db = dir / "crafted.sqlite", published = dir / "published.csv";
  cmh::test::make_crafted_db(db);
  std::ofstream(published) << cmh::test::kPublishedCsv;
  cmh::plots::ReportOptions o;
  o.db_path = db;
  o.out_dir = dir / "report";
  o.published_path = published;
  o.width = 320;  // small figures: the page decodes quickly
  o.height = 200;
  const auto summary = cmh::plots::write_report(o);
  REQUIRE(summary.rendered == summary.figures);
  const fs::path page = summary.index_html;

  const Probe good = probe(chromium, page, dir / "profile");
  INFO("Chromium's output: " << good.output);
  REQUIRE_FALSE(good.ok.empty());
  for (const auto& b : good.broken) FAIL_CHECK(b);
  CHECK(starting(good.ok, "img ") == static_cast<size_t>(summary.figures));
  CHECK(starting(good.ok, "table ") == static_cast<size_t>(summary.tables));
  // Each table's three files, each figure's SVG, data and script, the two long CSVs.
  CHECK(starting(good.ok, "link ") == static_cast<size_t>(3 * summary.tables + 3 * summary.figures + 2));
  CHECK(starting(good.ok, "anchor #note-") > 0);
  CHECK(starting(good.ok, "anchor #prov-") == static_cast<size_t>(summary.tables + summary.figures));

  // The same page with one image's bytes corrupted and one linked file gone: both are caught.
  std::string html = cmh::test::read_file(page.string());
  const std::string img = "src=\"data:image/png;base64,";
  const size_t at = html.find(img);
  REQUIRE(at != std::string::npos);
  html.replace(at + img.size(), html.find('"', at + img.size()) - at - img.size(), "AAAA");
  std::ofstream(page) << html;
  const fs::path svg = fs::path(o.out_dir) / "figures" / "map_bits_wikipedia_i2t.svg";
  REQUIRE(fs::remove(svg));
  const Probe bad = probe(chromium, page, dir / "profile");
  INFO("Chromium's output: " << bad.output);
  REQUIRE(bad.broken.size() == 2);
  CHECK(bad.broken[0].rfind("BROKEN img ", 0) == 0);
  CHECK(bad.broken[1] == "BROKEN link figures/map_bits_wikipedia_i2t.svg");
  CHECK(bad.ok.size() + 2 == good.ok.size());
}
