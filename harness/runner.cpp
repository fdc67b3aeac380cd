// The runner: one cell at a time, each cell's results committed in one transaction.
#include "runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "cell_runner.h"
#include "epoch_log.h"
#include "model_selection.h"
#include "common/error.h"
#include "common/json.h"
#include "data/dataset.h"
#include "provenance.h"
#include "store/store.h"
#include "tensor/torch_runtime.h"

namespace cmh {
namespace {

std::atomic<bool> g_stop{false};

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

// A live line on a terminal (rewritten in place), one plain line per epoch otherwise.
class Progress {
 public:
  Progress(size_t total) : total_(total), tty_(isatty(fileno(stderr))), start_(Clock::now()) {}

  void begin_cell(size_t i, const Cell& c) {
    index_ = i;
    prefix_ = "[" + std::to_string(i + 1) + "/" + std::to_string(total_) + "] " + c.method->label + " " +
              c.dataset->declaration.name + " " + std::to_string(c.bits) + "b seed " + std::to_string(c.seed);
    cell_start_ = Clock::now();
    show(prefix_ + " training", true);
  }
  void epoch(const EpochLog& log) {
    std::string s = prefix_ + " epoch " + std::to_string(log.epoch) + "/" + std::to_string(log.epochs);
    for (const auto& [k, v] : log.values) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.4g", k.c_str(), v);
      s += buf;
    }
    const double el = seconds_since(cell_start_);
    if (log.epochs > log.epoch && log.epoch > 0)
      s += " ETA cell " + format_duration(el / log.epoch * (log.epochs - log.epoch));
    show(s, true);
  }
  void end_cell(const std::string& what) {
    const double el = seconds_since(start_);
    std::string s = prefix_ + " " + what + " (" + format_duration(seconds_since(cell_start_)) + ")";
    if (index_ + 1 < total_) s += ", grid ETA " + format_duration(el / (index_ + 1) * (total_ - index_ - 1));
    show(s, false);
  }

 private:
  void show(const std::string& s, bool transient) {
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s%s", s.c_str(), transient ? "" : "\n");
    } else {
      std::fprintf(stderr, "%s\n", s.c_str());
    }
    std::fflush(stderr);
  }
  size_t total_, index_ = 0;
  bool tty_;
  Clock::time_point start_, cell_start_;
  std::string prefix_;
};

std::string fingerprints_json(const data::Dataset& d) {
  JsonWriter j;
  j.begin_array();
  for (const auto& f : d.fingerprints)
    j.begin_object().key("path").value(f.path).key("bytes").value(static_cast<long long>(f.bytes))
        .key("sha256").value(f.sha256).end_object();
  j.end_array();
  return j.str();
}

std::string protocol_json(const MethodInfo& method, const Params& params, const data::Dataset& d,
                          const data::Split& s, const std::vector<std::string>& notes) {
  JsonWriter j;
  j.begin_object();
  // How reports name and order the method (the registry of the program that ran it).
  j.key("method").begin_object();
  j.key("display").value(method.display).key("kind").value(method_kind_name(method.kind)).key("rank").value(method.rank);
  j.end_object();
  j.key("query").value(s.query.size()).key("train").value(s.train.size()).key("database").value(s.database.size());
  j.key("split").value(d.fixed_split ? "fixed by the data" : "seeded permutation (legacy NumPy)");
  const std::string rule = selection_rule(params);
  j.key("selection").value(rule);
  j.key("selection_peeks_at_test").value(selection_peeks_at_test(rule));
  j.key("tie_rule").value(eval::kTieRule);
  j.key("relevance").value("share at least one label");
  j.key("synthetic_image").value(d.image.synthetic).key("synthetic_text").value(d.text.synthetic);
  j.key("image_source").value(d.image.source).key("text_source").value(d.text.source);
  j.key("unlabelled_items").value(d.unlabelled_items);
  j.key("notes").begin_array();
  for (const auto& n : notes) j.value(n);
  j.end_array();
  j.end_object();
  return j.str();
}

// The library versions object with a method's own provenance entries added (JSON values).
std::string with_provenance(const std::string& versions_json,
                            const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = versions_json.substr(0, versions_json.rfind('}'));
  for (const auto& [k, v] : entries) out += (out.size() > 1 ? "," : "") + JsonWriter::quote(k) + ":" + v;
  return out + "}";
}

// The datasets of the cells to run, each loaded, checked and split once.
struct LoadedData {
  std::map<std::string, data::Dataset> datasets;
  std::map<std::string, data::Split> splits;
};

LoadedData load_datasets(const std::vector<const Cell*>& cells) {
  LoadedData out;
  for (const Cell* c : cells) {
    const auto& decl = c->dataset->declaration;
    if (out.datasets.count(decl.name)) continue;
    std::fprintf(stderr, "loading dataset '%s'\n", decl.name.c_str());
    data::Dataset d = data::load_dataset(decl);
    out.splits[decl.name] = data::make_split(d, decl);
    out.datasets.emplace(decl.name, std::move(d));
  }
  return out;
}

// What every run of this process records about where and with what it ran.
struct Machine {
  std::string host, revision, versions;
};

// A cell's run row as it starts (no notes yet; device and threads are the caller's).
store::RunRecord run_record(const Experiment& e, const Cell& cell, const data::Dataset& ds, const data::Split& split,
                            const Machine& machine) {
  store::RunRecord rec;
  rec.experiment = e.name;
  rec.cell_key = cell.key;
  rec.cell_json = cell.description_json;
  rec.method = cell.method->label;
  rec.dataset = ds.name;
  rec.bits = cell.bits;
  rec.seed = cell.seed;
  rec.params_json = cell.method->params.to_json();
  rec.code_revision = machine.revision;
  rec.host = machine.host;
  rec.library_versions_json = machine.versions;
  rec.data_fingerprints_json = fingerprints_json(ds);
  rec.protocol_json = protocol_json(*cell.method->info, cell.method->params, ds, split, {});
  return rec;
}

// Claims on cells, so that two processes running the same cells of one database (two shells, two
// Slurm tasks with overlapping --only) never train one cell at the same time: an exclusive
// open-file-description lock on one byte of <db>.ckpt/cells.lock per cell (offset = a hash of
// the key). The kernel drops the lock when the process dies, so a SIGKILL leaves no stale claim;
// a lock on a byte range needs no file per cell and nothing to clean up.
class CellLocks {
 public:
  explicit CellLocks(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw InputError("runner: cannot create the lock file '" + path +
                       "'; check that the folder of the database is writable");
  }
  ~CellLocks() { close(fd_); }
  CellLocks(const CellLocks&) = delete;
  CellLocks& operator=(const CellLocks&) = delete;

  /// true once the cell is ours; false when another process holds it and `wait` is false.
  bool lock(const std::string& key, bool wait) { return set(key, F_WRLCK, wait); }
  void unlock(const std::string& key) noexcept {
    struct flock fl = range(key);
    fl.l_type = F_UNLCK;
    fcntl(fd_, kSetLock, &fl);  // cannot fail on a valid descriptor, and close() drops it anyway
  }

 private:
#ifdef F_OFD_SETLK
  static constexpr int kSetLock = F_OFD_SETLK;
#else
  static constexpr int kSetLock = F_SETLK;  // per process: still one cell at a time here
#endif
  static struct flock range(const std::string& key) {
    struct flock fl {};
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(std::hash<std::string>{}(key) % (size_t{1} << 40));
    fl.l_len = 1;
    return fl;
  }

  // Waiting polls, so that SIGINT (which restarts a blocking F_SETLKW) still stops us.
  bool set(const std::string& key, short type, bool wait) {
    struct flock fl = range(key);
    fl.l_type = type;
    while (fcntl(fd_, kSetLock, &fl) != 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EACCES) {
        // A file system without locks (some NFS or Lustre mounts): run unclaimed, as before
        // claims existed; each cell still lands in one transaction.
        if (!warned_)
          std::fprintf(stderr, "runner: cannot lock cells in '%s' (%s); running without claims, so two processes "
                               "given the same cells may both train them\n", path_.c_str(), std::strerror(errno));
        warned_ = true;
        return true;
      }
      if (!wait) return false;
      if (g_stop) throw Interrupted("stopped while waiting for a cell another process is running");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
  }
  std::string path_;
  int fd_ = -1;
  bool warned_ = false;
};

}  // namespace

void request_stop() { g_stop = true; }

RunSummary run_experiment(const Experiment& e, const RunOptions& opt) {
  RunSummary summary;
  const std::vector<Cell> cells = expand_cells(e);
  std::vector<const Cell*> selected;
  for (const auto& c : cells)
    if (opt.filter.accepts(c)) selected.push_back(&c);
  summary.selected = selected.size();
  const std::string db_path = opt.db_path.empty() ? "results/" + e.name + ".sqlite" : opt.db_path;
  const int threads = set_torch_threads(opt.threads >= 0 ? opt.threads : e.threads);
  const std::string device = check_device(e.device);

  // Which cells still need running (a missing or still uninitialised database means all of them).
  std::map<std::string, std::string> status = store::Store::peek_statuses(db_path);
  std::vector<const Cell*> todo;
  for (const Cell* c : selected) {
    if (!opt.force && status.count(c->key) && status[c->key] == "done") ++summary.already_done;
    else todo.push_back(c);
  }
  if (todo.empty()) return summary;

  // Load and validate every dataset first: bad input stops here, before the store is touched.
  const LoadedData loaded = load_datasets(todo);

  const auto parent = std::filesystem::path(db_path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
  }
  store::Store db(db_path);
  std::filesystem::create_directories(db_path + ".ckpt");
  CellLocks locks(db_path + ".ckpt/cells.lock");
  Progress progress(todo.size());
  const Machine machine{host_name(), code_revision(), library_versions_json()};
  // A cell another process is running goes to the back of the queue once; the second time round
  // we wait for it, and find it done unless that process failed or died.
  std::deque<std::pair<const Cell*, bool>> queue;  // (cell, deferred once)
  for (const Cell* c : todo) queue.emplace_back(c, false);
  for (size_t i = 0; !queue.empty(); ) {
    if (g_stop) {
      summary.interrupted = true;
      break;
    }
    const auto [next, deferred] = queue.front();
    queue.pop_front();
    const Cell& cell = *next;
    try {
      if (!locks.lock(cell.key, deferred)) {
        queue.emplace_back(next, true);
        continue;
      }
    } catch (const Interrupted&) {
      summary.interrupted = true;
      break;
    }
    struct Unlock {
      CellLocks& l;
      const std::string& key;
      ~Unlock() { l.unlock(key); }
    } unlock{locks, cell.key};
    // Another process may have finished it since we read the statuses.
    if (!opt.force && db.is_done(cell.key)) {
      ++summary.already_done;
      continue;
    }
    ++i;
    const data::Dataset& ds = loaded.datasets.at(cell.dataset->declaration.name);
    const data::Split& split = loaded.splits.at(cell.dataset->declaration.name);
    const MethodInfo& info = *cell.method->info;
    store::RunRecord rec = run_record(e, cell, ds, split, machine);
    rec.device = info.uses_device ? device : "cpu";  // what the method computes on
    rec.threads = threads;
    const int64_t run_id = db.begin_run(rec);
    progress.begin_cell(i - 1, cell);

    std::vector<store::EpochValue> epochs;
    const std::string checkpoint_dir = db_path + ".ckpt/" + cell.key;
    std::error_code ec;
    try {
      RunContext ctx;
      ctx.bits = cell.bits;
      ctx.seed = static_cast<uint64_t>(cell.seed);
      ctx.device = rec.device;
      if (rec.device != device)
        ctx.notes.push_back(cell.method->method + " computes on the CPU; device " + device + " is not used by it");
      ctx.threads = threads;
      ctx.params = cell.method->params;
      std::filesystem::create_directories(checkpoint_dir);
      // The epochs logged before an interruption travel with the checkpoint.
      const std::string epoch_log = checkpoint_dir + "/epochs.tsv";
      epochs = read_epoch_log(epoch_log);
      ctx.on_epoch = [&](const EpochLog& log) {
        record_epoch(epochs, log.epoch, log.values);
        write_epoch_log(epoch_log, epochs);
        progress.epoch(log);
      };
      ctx.discard_epochs = [&] {
        epochs.clear();
        std::filesystem::remove(epoch_log, ec);
      };
      ctx.stop_requested = [] { return g_stop.load(); };
      ctx.checkpoint_dir = checkpoint_dir;
      ctx.cell_key = cell.key;
      ctx.experiment = e.name;
      ctx.experiment_dir = cell.method->experiment_dir;
      ctx.scratch_dir = db_path + ".ckpt";
      ctx.log_path = db_path + ".logs/" + cell.key + ".log";
      ctx.inputs_key_json = cell.method->inputs.key_json;
      const CellResult result = run_cell(info, ds, split, e.eval, ctx);
      if (!ctx.provenance.empty()) rec.library_versions_json = with_provenance(machine.versions, ctx.provenance);
      if (!ctx.notes.empty() || !ctx.provenance.empty()) {
        rec.protocol_json = protocol_json(info, cell.method->params, ds, split, ctx.notes);
        db.begin_run(rec);  // same key and id: records notes and provenance before the results land
      }
      db.finish_run(run_id, result.metrics, result.curves, epochs, result.timings);
      std::filesystem::remove_all(checkpoint_dir, ec);
      ++summary.ran;
      char buf[128];
      std::snprintf(buf, sizeof buf, "done: mAP i2t %.4f t2i %.4f", result.map_i2t, result.map_t2i);
      progress.end_cell(buf);
    } catch (const Interrupted& ex) {
      // The run stays "running" with its checkpoint on disk: the next `run` resumes it.
      progress.end_cell(std::string("interrupted: ") + ex.what());
      summary.interrupted = true;
      break;
    } catch (const std::exception& ex) {
      db.fail_run(run_id, ex.what());
      std::filesystem::remove_all(checkpoint_dir, ec);
      ++summary.failed;
      progress.end_cell(std::string("FAILED: ") + ex.what());
    }
  }
  return summary;
}

}  // namespace cmh
