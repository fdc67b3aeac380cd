// `cmhbench merge SHARD.sqlite… --into TARGET.sqlite`: folds the databases of shards (e.g. the
// tasks of a `cmhbench slurm` array) into one. Finished runs new to the target are copied with
// everything they hold; identical duplicates are skipped, so merging again changes nothing; a cell
// finished in both with different metrics is a conflict: reported, the target's run kept, exit 1.
// Unfinished runs of a shard (running: a task still at work or killed; failed) are listed, never
// merged as done.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/options.h"
#include "common/error.h"
#include "store/store.h"

namespace cmh::cli {

int merge_command(const Args& args) {
  po::options_description opt("options");
  std::vector<std::string> inputs;
  std::string into;
  opt.add_options()
    ("input", po::value(&inputs)->multitoken(), "shard databases to fold in (e.g. DIR/*.sqlite)")
    ("into", po::value(&into)->required(), "target database (created when absent), e.g. results/NAME.sqlite")
    ("quiet", "print only the totals, conflicts and unfinished runs");
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  if (!parse_options("merge", "SHARD.sqlite... --into TARGET.sqlite", args, opt, pos, vm)) return 0;
  if (inputs.empty()) throw InputError("no shard databases given; e.g. cmhbench merge DIR/*.sqlite --into results/NAME.sqlite");

  namespace fs = std::filesystem;
  std::error_code ec;
  // Check every input before touching the target: a typo must not leave half a merge.
  std::vector<std::string> todo;
  std::set<fs::path> seen;
  const fs::path target_path = fs::weakly_canonical(fs::absolute(into), ec);
  for (const auto& in : inputs) {
    if (!fs::is_regular_file(in, ec))
      throw InputError("shard database '" + in + "' does not exist (or is not a file); check the path or the glob");
    const fs::path p = fs::weakly_canonical(fs::absolute(in), ec);
    if (p == target_path) {
      std::printf("merge: skipping %s: it is the target\n", in.c_str());
      continue;
    }
    if (!seen.insert(p).second) continue;  // named twice
    todo.push_back(in);
  }
  // Open every shard (read-only) first, too: a file that is no database is refused up front.
  std::vector<std::unique_ptr<store::Store>> shards;
  for (const auto& in : todo) shards.push_back(std::make_unique<store::Store>(in, /*read_only=*/true));

  const fs::path parent = fs::path(into).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  store::Store target(into);
  const bool quiet = vm.count("quiet") > 0;
  int copied = 0, identical = 0;
  std::vector<std::string> conflicts, not_done;
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto rep = target.merge_from(*shards[i]);
    copied += rep.copied;
    identical += rep.identical;
    for (const auto& c : rep.conflicts) conflicts.push_back(todo[i] + ": " + c);
    for (const auto& n : rep.not_done) not_done.push_back(todo[i] + ": " + n);
    if (!quiet)
      std::printf("merge: %s: %d copied, %d identical, %zu conflicting, %zu not finished\n", todo[i].c_str(),
                  rep.copied, rep.identical, rep.conflicts.size(), rep.not_done.size());
  }
  for (const auto& n : not_done) std::printf("merge: not finished, not merged: %s\n", n.c_str());
  for (const auto& c : conflicts)
    std::fprintf(stderr, "merge: CONFLICT (kept the run in %s): %s\n", into.c_str(), c.c_str());
  size_t done = 0;
  for (const auto& [key, status] : target.statuses()) done += status == "done";
  std::printf("merge: %zu shard(s) -> %s: %d copied, %d identical, %zu conflicting, %zu not finished; %zu cells done there\n",
              shards.size(), into.c_str(), copied, identical, conflicts.size(), not_done.size(), done);
  if (!conflicts.empty()) {
    std::fprintf(stderr,
                 "merge: %zu cell(s) finished with different metrics in two databases (the runs are listed "
                 "above); find out which is wrong, re-run that cell (cmhbench run --only … --force) or leave "
                 "its database out, and merge again\n",
                 conflicts.size());
    return 1;
  }
  return 0;
}

}  // namespace cmh::cli
