// `cmhbench run EXP` and `cmhbench plan EXP`.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/options.h"
#include "common/error.h"
#include "experiment.h"
#include "runner.h"
#include "store/store.h"

namespace cmh::cli {
namespace {

void on_sigint(int) { request_stop(); }

std::string default_db(const Experiment& e) { return "results/" + e.name + ".sqlite"; }

}  // namespace

int run_command(const Args& args, const Registry& methods) {
  po::options_description opt("options");
  std::string exp_path, db, only, shard, data_root, device;
  int threads = -1;
  opt.add_options()
    ("experiment", po::value(&exp_path)->required(), "experiment file (experiments/*.toml)")
    ("db", po::value(&db), "results database (default results/<experiment name>.sqlite)")
    ("only", po::value(&only), "run a subset: method=…,bits=…,dataset=…,seed=…,label=…")
    ("shard", po::value(&shard), "run shard i of m (cells whose index % m == i), e.g. 0/4")
    ("force", "re-run cells that are already done")
    ("threads", po::value(&threads), "threads for training and evaluation (0: all cores; default: the experiment's)")
    ("data-root", po::value(&data_root), "folder where dataset files are looked for")
    ("device", po::value(&device), "cpu, cuda or cuda:N (default: the experiment's device; recorded with every run)");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parse_options("run", "EXPERIMENT.toml [options]", args, opt, pos, vm)) return 0;

  Experiment e = load_experiment(methods, exp_path, data_root);
  if (vm.count("device")) e.device = device;  // not part of a cell's key: the same cell on another device
  RunOptions ro;
  ro.db_path = db.empty() ? default_db(e) : db;
  ro.filter = CellFilter::parse(only, shard);
  ro.force = vm.count("force") > 0;
  ro.threads = threads;
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  const RunSummary s = run_experiment(e, ro);
  std::printf("%s: %zu cells selected, %zu already done, %zu ran, %zu failed%s -> %s\n", e.name.c_str(), s.selected,
              s.already_done, s.ran, s.failed, s.interrupted ? ", interrupted" : "", ro.db_path.c_str());
  if (s.interrupted) return 130;
  return s.failed ? 1 : 0;
}

int plan_command(const Args& args, const Registry& methods) {
  po::options_description opt("options");
  std::string exp_path, db, only, shard;
  opt.add_options()
    ("experiment", po::value(&exp_path)->required(), "experiment file")
    ("db", po::value(&db), "results database to compare with (default results/<name>.sqlite)")
    ("only", po::value(&only), "subset, as for run")
    ("shard", po::value(&shard), "shard i/m, as for run");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parse_options("plan", "EXPERIMENT.toml [options]", args, opt, pos, vm)) return 0;
  const Experiment e = load_experiment(methods, exp_path);
  const CellFilter f = CellFilter::parse(only, shard);
  if (db.empty()) db = default_db(e);
  std::map<std::string, std::string> status = store::Store::peek_statuses(db);
  size_t shown = 0, done = 0;
  std::printf("%-5s %-16s %-14s %-22s %5s %6s  %s\n", "cell", "key", "method", "dataset", "bits", "seed", "status");
  for (const Cell& c : expand_cells(e)) {
    if (!f.accepts(c)) continue;
    ++shown;
    const std::string st = status.count(c.key) ? status[c.key] : "pending";
    done += st == "done";
    std::printf("%-5zu %-16s %-14s %-22s %5d %6lld  %s\n", c.index, c.key.c_str(), c.method->label.c_str(),
                c.dataset->declaration.name.c_str(), c.bits, static_cast<long long>(c.seed), st.c_str());
  }
  std::printf("%zu cells, %zu done, %zu to run (%s)\n", shown, done, shown - done, db.c_str());
  // Every program the file would start, before anything runs (external methods).
  std::vector<const MethodEntry*> runs_programs;
  for (const Cell& c : expand_cells(e))
    if (f.accepts(c) && !c.method->inputs.commands.empty() &&
        std::find(runs_programs.begin(), runs_programs.end(), c.method) == runs_programs.end())
      runs_programs.push_back(c.method);
  if (!runs_programs.empty()) {
    std::printf("\nprograms this file starts (from their argv, never through a shell; once per cell):\n");
    for (const MethodEntry* m : runs_programs)
      for (const auto& command : m->inputs.commands) std::printf("  %-14s %s\n", m->label.c_str(), command.c_str());
  }
  return 0;
}

}  // namespace cmh::cli
