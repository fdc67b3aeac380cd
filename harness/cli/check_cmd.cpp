// `cmhbench check DB --against REF`: fails (exit 1) when a stored metric fell below its
// reference value by more than the tolerance, or a referenced cell is missing; `--update`
// rewrites the reference from the database and prints what changed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/options.h"
#include "common/error.h"
#include "plots/check.h"
#include "store/store.h"

namespace cmh::cli {

int check_command(const Args& args) {
  po::options_description opt("options");
  std::string db_path, against, experiment;
  double tolerance = 0.005;
  opt.add_options()
    ("db", po::value(&db_path)->required(), "results database")
    ("against", po::value(&against)->required(), "reference values (results/reference/*.csv)")
    ("tolerance", po::value(&tolerance), "allowed drop below a reference value when its row sets none (default 0.005)")
    ("experiment", po::value(&experiment), "with --update: the experiment to take (default: the reference's, else all)")
    ("update", "rewrite the reference from the database and show the differences")
    ("brief", "list only the values that did not pass");
  po::positional_options_description pos;
  pos.add("db", 1);
  po::variables_map vm;
  if (!parse_options("check", "DB --against REFERENCE.csv [options]", args, opt, pos, vm)) return 0;
  if (!(tolerance >= 0)) throw InputError("--tolerance must be ≥ 0 (e.g. 0.005)");

  const store::Store db(db_path, /*read_only=*/true);
  namespace fs = std::filesystem;
  std::error_code ec;

  if (vm.count("update")) {
    std::vector<plots::ReferenceRow> before;
    if (fs::exists(against, ec)) before = plots::read_reference(against);
    std::set<std::string> experiments;
    if (!experiment.empty()) experiments.insert(experiment);
    else
      for (const auto& r : before) experiments.insert(r.experiment);
    std::vector<std::string> skipped;
    const auto after = plots::reference_from_db(db, experiments, before, skipped);
    if (after.empty()) {
      std::string names;
      for (const auto& e : experiments) names += (names.empty() ? "" : ", ") + e;
      throw InputError("check --update: '" + db_path + "' holds no finished runs" +
                       (names.empty() ? std::string() : " of experiment(s) " + names) +
                       "; run the experiment first (refusing to write an empty reference)");
    }
    for (const auto& s : skipped) std::fprintf(stderr, "check --update: not written: %s\n", s.c_str());
    std::fputs(plots::reference_diff(before, after).c_str(), stdout);
    const fs::path parent = fs::path(against).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    std::ofstream out(against, std::ios::binary);
    out << plots::reference_csv(after);
    if (!out) throw InputError("check --update: cannot write '" + against + "'; check the folder's permissions");
    std::printf("check --update: wrote %zu reference values to %s\n", after.size(), against.c_str());
    return 0;
  }

  if (!fs::exists(against, ec))
    throw InputError("reference '" + against + "' does not exist; check the path, or create it with `cmhbench check " +
                     db_path + " --against " + against + " --update`");
  const auto reference = plots::read_reference(against);
  if (reference.empty())
    throw InputError("reference '" + against + "' has no rows; fill it with `cmhbench check DB --against " + against +
                     " --update`");
  const plots::CheckResult r = plots::check_against(db, reference, tolerance);
  std::fputs(plots::format_check(r, tolerance, vm.count("brief") > 0).c_str(), stdout);
  return r.ok() ? 0 : 1;
}

}  // namespace cmh::cli
