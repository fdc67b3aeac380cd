// `cmhbench compare A.sqlite B.sqlite [--json] [--experiment E] [--metric M]…`: is B different
// from A beyond the seed-to-seed noise? Markdown (or JSON) to stdout; exit 0 whatever it finds.
#include <cstdio>

#include "cli/options.h"
#include "common/error.h"
#include "plots/compare.h"
#include "store/store.h"

namespace cmh::cli {

int compare_command(const Args& args) {
  po::options_description opt("options");
  std::vector<std::string> dbs;
  plots::CompareOptions o;
  opt.add_options()
    ("db", po::value(&dbs)->multitoken(), "the two databases, A (before) and B (after)")
    ("experiment", po::value(&o.experiment), "only runs of this experiment (default: all)")
    ("metric", po::value(&o.metrics)->multitoken(), "only these metrics (e.g. map map@100; default: all but counts)")
    ("json", "JSON instead of Markdown");
  po::positional_options_description pos;
  pos.add("db", -1);
  po::variables_map vm;
  if (!parse_options("compare", "A.sqlite B.sqlite [options]", args, opt, pos, vm)) return 0;
  if (dbs.size() != 2)
    throw InputError("compare: give exactly two databases, A (before) and B (after); got " + std::to_string(dbs.size()));
  const store::Store a(dbs[0], /*read_only=*/true), b(dbs[1], /*read_only=*/true);
  const auto r = plots::compare_databases(a, b, o);
  std::fputs((vm.count("json") ? plots::compare_json(r) : plots::compare_markdown(r)).c_str(), stdout);
  return 0;
}

}  // namespace cmh::cli
