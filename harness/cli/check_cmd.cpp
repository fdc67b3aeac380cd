// `cmhbench check DB --against REF`: fails (exit 1) when a group's mean over its seeds fell below
// its reference by more than the row's measured band, or a referenced cell is missing, failed or
// NaN; `--update` rewrites the reference from one or more databases (runs of the same grid under
// other float orders) and prints what changed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "cli/options.h"
#include "common/error.h"
#include "plots/check.h"
#include "store/store.h"

namespace cmh::cli {

int check_command(const Args& args) {
  po::options_description opt("options");
  std::vector<std::string> db_paths;
  std::string against, experiment, only;
  double tolerance = 0.005;
  plots::BandRule rule;
  opt.add_options()
    ("db", po::value(&db_paths)->multitoken(), "results database (with --update: one or more, each a run of the same grid)")
    ("against", po::value(&against)->required(), "reference values (results/reference/*.csv)")
    ("tolerance", po::value(&tolerance), "the band of rows that carry none (older reference files; default 0.005)")
    ("only", po::value(&only), "check only these groups: method=M,bits=B,dataset=D (as for run --only; no seed)")
    ("brief", "list only the values that did not pass")
    ("update", "rewrite the reference from the database(s) and show the differences")
    ("experiment", po::value(&experiment), "with --update: the experiment to take (default: the reference's, else all)")
    ("sigmas", po::value(&rule.sigmas), "with --update: band = SIGMAS × measured noise × √(1 + 1/databases) (default 6)")
    ("floor", po::value(&rule.floor), "with --update: the narrowest band (default 0.002)")
    ("max-band", po::value(&rule.max_band), "with --update: a wider band marks the row `skip` (default 0.05)");
  po::positional_options_description pos;
  pos.add("db", -1);
  po::variables_map vm;
  if (!parse_options("check", "DB… --against REFERENCE.csv [options]", args, opt, pos, vm)) return 0;
  if (db_paths.empty()) throw InputError("check: no database given (usage: cmhbench check DB --against REFERENCE.csv)");
  if (!(tolerance >= 0)) throw InputError("--tolerance must be ≥ 0 (e.g. 0.005)");
  if (!(rule.sigmas > 0) || !(rule.floor >= 0) || !(rule.max_band > rule.floor))
    throw InputError("check --update: need --sigmas > 0, --floor ≥ 0 and --max-band > --floor");
  namespace fs = std::filesystem;
  std::error_code ec;

  if (vm.count("update")) {
    std::vector<std::unique_ptr<store::Store>> dbs;
    std::vector<const store::Store*> views;
    for (const auto& p : db_paths) {
      dbs.push_back(std::make_unique<store::Store>(p, /*read_only=*/true));
      views.push_back(dbs.back().get());
    }
    std::vector<plots::ReferenceRow> before;
    if (fs::exists(against, ec)) before = plots::read_reference(against);
    std::set<std::string> experiments;
    if (!experiment.empty()) experiments.insert(experiment);
    else
      for (const auto& r : before) experiments.insert(r.experiment);
    plots::UpdateReport report;
    const auto after = plots::reference_from_dbs(views, experiments, rule, report);
    if (after.empty()) {
      std::string names;
      for (const auto& e : experiments) names += (names.empty() ? "" : ", ") + e;
      throw InputError("check --update: the database(s) hold no finished runs" +
                       (names.empty() ? std::string() : " of experiment(s) " + names) +
                       "; run the experiment first (refusing to write an empty reference)");
    }
    for (const auto& s : report.skipped) std::fprintf(stderr, "check --update: not written: %s\n", s.c_str());
    std::fputs(plots::reference_diff(before, after).c_str(), stdout);
    char rule_line[200];
    std::snprintf(rule_line, sizeof rule_line,
                  "Bands: %.3g × noise × √(1 + 1/runs), at least %.3g; wider than %.3g → rule skip. Measured over:",
                  rule.sigmas, rule.floor, rule.max_band);
    std::vector<std::string> comments = {rule_line};
    for (size_t i = 0; i < report.runs.size(); ++i)
      comments.push_back("  run " + std::to_string(i + 1) + ": " + report.runs[i]);
    const fs::path parent = fs::path(against).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    std::ofstream out(against, std::ios::binary);
    out << plots::reference_csv(after, comments);
    if (!out) throw InputError("check --update: cannot write '" + against + "'; check the folder's permissions");
    size_t skipped = 0;
    for (const auto& r : after) skipped += r.checked ? 0 : 1;
    std::printf("check --update: wrote %zu reference values (%zu marked skip) from %zu database(s) to %s\n", after.size(),
                skipped, db_paths.size(), against.c_str());
    return 0;
  }

  if (db_paths.size() != 1)
    throw InputError("check: give one database to check (several are for --update, which measures their spread)");
  const store::Store db(db_paths[0], /*read_only=*/true);
  if (!fs::exists(against, ec))
    throw InputError("reference '" + against + "' does not exist; check the path, or create it with `cmhbench check " +
                     db_paths[0] + " --against " + against + " --update`");
  auto reference = plots::read_reference(against);
  if (!only.empty()) {
    reference = plots::select_rows(reference, only);
    if (reference.empty())
      throw InputError("check --only '" + only + "': no row of '" + against + "' matches; check the names");
  }
  if (reference.empty())
    throw InputError("reference '" + against + "' has no rows; fill it with `cmhbench check DB --against " + against +
                     " --update`");
  const plots::CheckResult r = plots::check_against(db, reference, tolerance);
  std::fputs(plots::format_check(r, tolerance, vm.count("brief") > 0).c_str(), stdout);
  return r.ok() ? 0 : 1;
}

}  // namespace cmh::cli
