// `cmhbench slurm EXP --out DIR`: writes a Slurm array job for an experiment. One array task per
// shard (by default one shard per cell); task i runs `cmhbench run EXP --shard i/M` into its own
// database DIR/shard-i-of-M.sqlite, so no two tasks ever write one file (and none needs a shared
// file system that supports SQLite locking across nodes). DIR/merge.sh folds the task databases
// into one with `cmhbench merge`.
//
// Requeue safety: the script asks for --requeue and --open-mode=append; a task's command is
// idempotent (`run` skips done cells and resumes a started one from its last epoch checkpoint,
// kept in DIR/shard-i-of-M.sqlite.ckpt/), so a task killed and run again (requeued after a node
// failure or preemption, or the whole script submitted again after a time limit) loses at most
// the epoch it was in.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "common/error.h"
#include "experiment.h"

namespace cmh::cli {
namespace {

namespace fs = std::filesystem;

/// A word for bash: single-quoted unless it is plainly safe.
std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// An #SBATCH value must be one word: no whitespace, no quotes, nothing the shell would expand.
void check_word(const std::string& option, const std::string& value, const std::string& example) {
  if (value.empty() || value.find_first_of(" \t\n\r'\"$`\\;#") != std::string::npos)
    throw InputError("--" + option + " '" + value + "': expected one word, e.g. " + example);
}

// The executable users start: the front one beside libexec/ when this is the full one it hands
// run, plan, methods and slurm to (so the job's merge starts without LibTorch).
std::string self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "cmhbench";
  const fs::path front = p.parent_path().parent_path() / "cmhbench";
  return p.parent_path().filename() == "libexec" && fs::is_regular_file(front, ec) ? front.string() : p.string();
}

void write_executable(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw InputError("cannot write '" + path.string() + "'; check that the folder is writable");
  ::chmod(path.c_str(), 0755);
}

std::string utc_now() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int slurm_command(const Args& args, const Registry& methods) {
  po::options_description opt("options");
  std::string exp_path, out_dir, partition, time_limit, mem, job_name, only, device, data_root, into, exe;
  std::vector<std::string> extra;
  int tasks = 0, array_limit = 0, gpus_per_task = 0, cpus_per_task = 0, threads = -1;
  opt.add_options()
    ("experiment", po::value(&exp_path)->required(), "experiment file (experiments/*.toml)")
    ("out", po::value(&out_dir)->required(), "folder for the job script, the task databases and logs")
    ("tasks", po::value(&tasks), "array tasks (shards); default: one per cell (at most 1000)")
    ("array-limit", po::value(&array_limit), "at most this many tasks at once (sbatch --array=…%N)")
    ("partition", po::value(&partition), "Slurm partition (default: the cluster's default)")
    ("gpus-per-task", po::value(&gpus_per_task), "GPUs per task (with --device cuda)")
    ("cpus-per-task", po::value(&cpus_per_task), "CPUs per task (default: the experiment's thread count, else 1)")
    ("mem", po::value(&mem), "memory per task, e.g. 16G")
    ("time", po::value(&time_limit), "time limit per task, e.g. 12:00:00 or 2-00:00:00")
    ("job-name", po::value(&job_name), "job name (default cmh-<experiment name>)")
    ("sbatch", po::value(&extra)->composing(), "another #SBATCH option, e.g. --sbatch=--account=proj (repeatable)")
    ("only", po::value(&only), "run a subset, as for run: method=…,bits=…,dataset=…,seed=…,label=…")
    ("device", po::value(&device), "device for every task (cpu, cuda, cuda:N; default: the experiment's)")
    ("threads", po::value(&threads), "threads per task (default: the experiment's; 0 there → --cpus-per-task)")
    ("data-root", po::value(&data_root), "folder where dataset files are looked for (as seen from the nodes)")
    ("into", po::value(&into), "database merge.sh folds the tasks into (default results/<experiment name>.sqlite)")
    ("exe", po::value(&exe), "cmhbench as the nodes see it (default: this executable)");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  if (!parse_options("slurm", "EXPERIMENT.toml --out DIR [options]", args, opt, pos, vm)) return 0;

  // Every option is checked before anything is written.
  if (vm.count("tasks") && tasks < 1) throw InputError("--tasks must be at least 1");
  if (vm.count("array-limit") && array_limit < 1) throw InputError("--array-limit must be at least 1");
  if (gpus_per_task < 0) throw InputError("--gpus-per-task must be 0 or more");
  if (vm.count("cpus-per-task") && cpus_per_task < 1) throw InputError("--cpus-per-task must be at least 1");
  if (vm.count("threads") && threads < 0) throw InputError("--threads must be 0 (all of --cpus-per-task) or more");
  if (vm.count("partition")) check_word("partition", partition, "gpu");
  if (vm.count("job-name")) check_word("job-name", job_name, "cmh-paper");
  if (vm.count("mem") && !std::regex_match(mem, std::regex("[0-9]+[KMGT]?")))
    throw InputError("--mem '" + mem + "': expected a size such as 16G or 16000M");
  if (vm.count("time") &&
      !std::regex_match(time_limit, std::regex("([0-9]+-)?[0-9]+(:[0-9]+(:[0-9]+)?)?|UNLIMITED|INFINITE|unlimited|infinite")))
    throw InputError("--time '" + time_limit + "': expected minutes, [D-]HH:MM:SS, MM:SS or D-HH, e.g. 12:00:00");
  for (const auto& x : extra) {
    if (x.rfind("--", 0) != 0 || x.size() < 3) throw InputError("--sbatch '" + x + "': expected an sbatch option such as --account=proj");
    check_word("sbatch", x, "--account=proj");
  }
  if (!device.empty() && device != "cpu" && !std::regex_match(device, std::regex("cuda(:[0-9]+)?")))
    throw InputError("--device '" + device + "' is not valid; use cpu, cuda or cuda:N");

  const Experiment e = load_experiment(methods, exp_path, data_root);
  const CellFilter filter = CellFilter::parse(only, "");
  const std::vector<Cell> cells = expand_cells(e);
  size_t selected = 0;
  for (const auto& c : cells) selected += filter.accepts(c);
  if (selected == 0) throw InputError("no cell of '" + exp_path + "' matches --only '" + only + "'");
  if (!vm.count("tasks")) tasks = static_cast<int>(std::min<size_t>(selected, 1000));
  if (static_cast<size_t>(tasks) > cells.size())
    throw InputError("--tasks " + std::to_string(tasks) + ": the experiment has only " + std::to_string(cells.size()) +
                     " cells; use at most that many tasks");
  // Which cells each task runs (cell index % tasks == task, as `run --shard` selects them).
  std::vector<std::vector<const Cell*>> per_task(static_cast<size_t>(tasks));
  for (const auto& c : cells)
    if (filter.accepts(c)) per_task[c.index % static_cast<size_t>(tasks)].push_back(&c);
  size_t empty = 0, most = 0;
  for (const auto& t : per_task) {
    empty += t.empty();
    most = std::max(most, t.size());
  }

  const std::string resolved_device = device.empty() ? e.device : device;
  const int run_threads = threads >= 0 ? threads : e.threads;
  if (!vm.count("cpus-per-task")) cpus_per_task = run_threads > 0 ? run_threads : 1;
  if (job_name.empty()) job_name = "cmh-" + e.name;
  check_word("job-name", job_name, "cmh-paper");

  std::error_code ec;
  const fs::path dir = fs::absolute(out_dir).lexically_normal();
  // #SBATCH --output takes the path as one word, and Slurm expands % in it.
  if (dir.string().find_first_of(" \t\n'\"%$`\\") != std::string::npos)
    throw InputError("--out '" + dir.string() + "': pick a folder whose path has no spaces, quotes, '%' or '$'");
  fs::create_directories(dir / "logs", ec);
  if (!fs::is_directory(dir / "logs"))
    throw InputError("cannot create '" + (dir / "logs").string() + "'; check the path and its permissions");
  const fs::path cwd = fs::current_path();
  const fs::path experiment = fs::absolute(exp_path).lexically_normal();
  const fs::path merged = fs::absolute(into.empty() ? "results/" + e.name + ".sqlite" : into).lexically_normal();
  if (exe.empty()) exe = self_executable();
  const std::string m = std::to_string(tasks);

  // The job script.
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by `cmhbench slurm` at " << utc_now() << " for " << experiment.string() << ":\n"
    << "# " << selected << " cell(s) in " << tasks << " array task(s); task i runs the cells whose grid index % "
    << tasks << " == i\n# (listed in cells.tsv) into its own database shard-i-of-" << tasks << ".sqlite.\n"
    << "#   submit:  sbatch " << quote((dir / "job.sbatch").string()) << "\n"
    << "#   then:    bash " << quote((dir / "merge.sh").string()) << "   (folds the task databases into "
    << merged.string() << ")\n"
    << "# Requeue-safe: a task run again skips its done cells and resumes a started one from its last\n"
    << "# epoch checkpoint (shard-i-of-" << tasks << ".sqlite.ckpt/); submitting this script again after a\n"
    << "# time limit or a failure re-runs only what is not done.\n"
    << "#SBATCH --job-name=" << job_name << "\n"
    << "#SBATCH --array=0-" << tasks - 1 << (array_limit > 0 ? "%" + std::to_string(array_limit) : "") << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=" << cpus_per_task << "\n";
  if (gpus_per_task > 0) s << "#SBATCH --gpus-per-task=" << gpus_per_task << "\n";
  if (!partition.empty()) s << "#SBATCH --partition=" << partition << "\n";
  if (!mem.empty()) s << "#SBATCH --mem=" << mem << "\n";
  if (!time_limit.empty()) s << "#SBATCH --time=" << time_limit << "\n";
  for (const auto& x : extra) s << "#SBATCH " << x << "\n";
  s << "#SBATCH --requeue\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --output=" << (dir / "logs").string() << "/task-%a.log\n"
    << "set -u\n"
    << "task=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (or set SLURM_ARRAY_TASK_ID)}\n"
    << "echo \"== $(date -u +%Y-%m-%dT%H:%M:%SZ) task $task of " << m
    << " on $(hostname), job ${SLURM_JOB_ID:-none}, restart ${SLURM_RESTART_COUNT:-0}\"\n"
    << "cd " << quote(cwd.string()) << " || exit 1\n"
    << "exec " << quote(exe) << " run " << quote(experiment.string()) << " --shard \"$task/" << m << "\" --db "
    << quote(dir.string()) << "/shard-\"$task\"-of-" << m << ".sqlite";
  if (!only.empty()) s << " --only " << quote(only);
  if (!device.empty()) s << " --device " << quote(device);
  if (run_threads > 0 || vm.count("threads"))
    s << " --threads " << run_threads;
  else
    s << " --threads \"${SLURM_CPUS_PER_TASK:-" << cpus_per_task << "}\"";
  if (!data_root.empty()) s << " --data-root " << quote(fs::absolute(data_root).lexically_normal().string());
  s << "\n";
  write_executable(dir / "job.sbatch", s.str());

  // The merge script: idempotent, so it can run while tasks are still at work and again later.
  std::ostringstream mg;
  mg << "#!/bin/bash\n"
     << "# Folds the task databases of this folder into " << merged.string() << " (cmhbench merge:\n"
     << "# idempotent; identical duplicates skipped; conflicting ones reported, exit 1; unfinished runs listed).\n"
     << "set -euo pipefail\nshopt -s nullglob\n"
     << "cd " << quote(cwd.string()) << "\n"
     << "shards=(" << quote(dir.string()) << "/shard-*-of-" << m << ".sqlite)\n"
     << "if [ ${#shards[@]} -eq 0 ]; then echo \"merge.sh: no task database in " << dir.string()
     << " yet\" >&2; exit 2; fi\n"
     << "exec " << quote(exe) << " merge \"${shards[@]}\" --into " << quote(merged.string()) << " \"$@\"\n";
  write_executable(dir / "merge.sh", mg.str());

  // Which task runs which cell.
  std::ofstream tsv(dir / "cells.tsv", std::ios::binary | std::ios::trunc);
  tsv << "task\tcell\tkey\tmethod\tdataset\tbits\tseed\n";
  for (size_t t = 0; t < per_task.size(); ++t)
    for (const Cell* c : per_task[t])
      tsv << t << '\t' << c->index << '\t' << c->key << '\t' << c->method->label << '\t'
          << c->dataset->declaration.name << '\t' << c->bits << '\t' << c->seed << '\n';
  if (!tsv) throw InputError("cannot write '" + (dir / "cells.tsv").string() + "'");

  std::printf("slurm: %s: %zu cell(s) in %d task(s) (at most %zu cell(s) each%s) -> %s\n", e.name.c_str(), selected,
              tasks, most, empty ? (", " + std::to_string(empty) + " with none").c_str() : "",
              (dir / "job.sbatch").c_str());
  if (gpus_per_task > 0 && resolved_device == "cpu")
    std::fprintf(stderr, "slurm: warning: --gpus-per-task %d but the device is cpu; add --device cuda\n", gpus_per_task);
  if (gpus_per_task == 0 && resolved_device != "cpu")
    std::fprintf(stderr, "slurm: warning: device %s but no --gpus-per-task; the tasks will see no GPU\n",
                 resolved_device.c_str());
  std::printf("submit: sbatch %s\nmerge:  bash %s   (or: %s merge %s/shard-*-of-%s.sqlite --into %s)\n",
              quote((dir / "job.sbatch").string()).c_str(), quote((dir / "merge.sh").string()).c_str(),
              quote(exe).c_str(), quote(dir.string()).c_str(), m.c_str(), quote(merged.string()).c_str());
  return 0;
}

}  // namespace cmh::cli
