// The external method: one program run per cell, started from its argv (no shell) in the
// experiment file's folder, with a clean environment, its output in <db>.logs/<key>.log and its
// progress lines on descriptor 3. Torch-free.
#include "methods/external/external.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/error.h"
#include "common/json.h"
#include "common/json_value.h"
#include "common/subprocess.h"
#include "data/dataset.h"
#include "data/sha256.h"
#include "data/split.h"
#include "methods/external/request.h"
#include "io/codes_file.h"
#include "io/mat_file.h"
#include "param_set.h"

namespace cmh::external {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kProgressFd = 3;
constexpr size_t kLogLinesInError = 12;
// Passed through from cmhbench's environment when set; anything else only when pass_env names it.
// The last two fix a float order (LibTorch's CPU kernels, OpenBLAS's kernel) for the program as
// they do for cmhbench, so a reference measured under them covers external cells too.
const char* const kKeptVariables[] = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "CUDA_VISIBLE_DEVICES",
                                      "ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE"};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string argv_text(const std::vector<std::string>& argv) {
  std::string out = "[";
  for (size_t i = 0; i < argv.size(); ++i) out += (i ? ", " : "") + JsonWriter::quote(argv[i]);
  return out + "]";
}

struct ExternalParams {
  std::vector<std::string> command, files, pass_env;
  JsonText hyper{"{}"};
  std::string timeout;  ///< "" = none
  std::string pixels = "as_declared";
};

const ParamSet<ExternalParams>& external_params() {
  static const ParamSet<ExternalParams> set =
      ParamSet<ExternalParams>()
          .add("command", &ExternalParams::command,
               "the program and its arguments, started from this list (never a shell) in the experiment file's folder")
          .add("files", &ExternalParams::files,
               "files and folders (relative to the experiment file) whose contents are part of the cell key: editing "
               "re-runs")
          .add("hyper", &ExternalParams::hyper, "a table passed through in the request; part of the cell key")
          // a limit cannot change the codes a finished program writes
          .add("timeout", &ExternalParams::timeout,
               "wall-clock limit, e.g. \"90s\", \"30m\", \"6h\", \"2d\" (\"\": none); not part of the cell key",
               outside_key())
          .add("pass_env", &ExternalParams::pass_env,
               "environment variables passed besides PATH HOME LANG LC_ALL TMPDIR CUDA_VISIBLE_DEVICES "
               "ATEN_CPU_CAPABILITY OPENBLAS_CORETYPE")
          .add("pixels", &ExternalParams::pixels,
               "pixels in a declared file: named where they lie, or copied into the hand-over .mat",
               one_of({"as_declared", "materialise"}));
  return set;
}

// The parameters, checked beyond their table (a command, a timeout that parses, variable names).
ExternalParams checked_params(const Params& params) {
  ExternalParams p = external_params().read(params);
  const auto& command = p.command;
  if (command.empty() || command.front().empty())
    throw InputError("external: 'command' is empty; give the program and its arguments as a list, e.g. "
                     "command = [\"python3\", \"my_method.py\"] (it is started from this list, never through a shell)");
  parse_timeout(p.timeout);
  static const std::regex name(R"([A-Za-z_][A-Za-z0-9_]*)");
  for (const auto& v : p.pass_env)
    if (!std::regex_match(v, name))
      throw InputError("external: pass_env entry '" + v + "' is not an environment variable name (letters, digits, _)");
  return p;
}

std::vector<std::string> program_environment(const ExternalParams& p, const std::string& request, int threads) {
  std::vector<std::string> names(std::begin(kKeptVariables), std::end(kKeptVariables));
  for (const auto& v : p.pass_env) names.push_back(v);
  std::vector<std::string> env;
  for (const auto& n : names)
    if (const char* v = std::getenv(n.c_str()); v && std::find(env.begin(), env.end(), n + "=" + v) == env.end())
      env.push_back(n + "=" + v);
  const std::string t = std::to_string(std::max(threads, 1));
  for (const std::string& v : {"CMHBENCH_REQUEST=" + request, "CMHBENCH_PROGRESS_FD=" + std::to_string(kProgressFd),
                               "OMP_NUM_THREADS=" + t, "OPENBLAS_NUM_THREADS=" + t, "MKL_NUM_THREADS=" + t,
                               std::string("PYTHONHASHSEED=0"), std::string("PYTHONUNBUFFERED=1")})
    env.push_back(v);
  return env;
}

// What an entry's `files` add to its cell key (EntryInputs::key_json).
std::string files_key_json(const std::string& files_sha) { return "{\"files_sha256\":\"" + files_sha + "\"}"; }

void write_index_list(JsonWriter& j, const char* name, const std::vector<int64_t>& items) {
  j.key(name).begin_array();
  for (int64_t i : items) j.value(static_cast<long long>(i));
  j.end_array();
}

// A failed cell's message: what happened, then the end of the program's log.
[[noreturn]] void fail(const std::string& what, const std::string& log_path) {
  std::string msg = "external: " + what;
  const std::string tail = file_tail(log_path, kLogLinesInError);
  msg += tail.empty() ? "; its log '" + log_path + "' is empty"
                      : "; last lines of its log '" + log_path + "':\n" + tail;
  throw std::runtime_error(msg);
}

// Progress lines: JSON objects; one with a number "epoch" is an epoch's values, one with a
// string "version" names the program's version. Anything else is counted and named in the notes.
class ProgressReader {
 public:
  explicit ProgressReader(RunContext& ctx) : ctx_(ctx) {}
  void line(const std::string& text) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) return;
    JsonValue v;
    try {
      v = JsonValue::parse(text);
    } catch (const std::exception&) {
      return ignore(text);
    }
    if (v.type() != JsonValue::Type::Object) return ignore(text);
    bool used = false;
    if (v["version"].type() == JsonValue::Type::String) {
      version_ = v["version"].str();
      used = true;
    }
    auto count = [](const JsonValue& x) {  // a whole number 1 … 10^9, else 0 (the line is untrusted)
      const double n = x.num(0);
      return n >= 1 && n <= 1e9 && n == std::floor(n) ? static_cast<int>(n) : 0;
    };
    if (const int epoch = count(v["epoch"]); epoch > 0) {
      EpochLog log;
      log.epoch = epoch;
      log.epochs = count(v["epochs"]);
      for (const auto& [k, x] : v.members())
        if (k != "epoch" && k != "epochs" && x.type() == JsonValue::Type::Number && std::isfinite(x.num()))
          log.values.emplace_back(k, x.num());
      if (ctx_.on_epoch) ctx_.on_epoch(log);
      used = true;
    }
    if (!used) ignore(text);
  }
  const std::string& version() const { return version_; }
  void add_notes() const {
    if (ignored_ > 0)
      ctx_.notes.push_back("external: " + std::to_string(ignored_) + " progress line(s) were neither an epoch "
                           "({\"epoch\": N, ...}) nor a version line and were ignored; first: " + first_ignored_);
  }

 private:
  void ignore(const std::string& text) {
    if (ignored_++ == 0) first_ignored_ = text.substr(0, 200);
  }
  RunContext& ctx_;
  std::string version_, first_ignored_;
  size_t ignored_ = 0;
};

class External final : public Method {
 public:
  void fit(const data::Dataset&, const std::vector<int64_t>&, RunContext&) override {
    throw std::logic_error("external: the runner calls fit_and_encode for external methods");
  }
  eval::PackedBits encode_image(const data::Dataset&, const std::vector<int64_t>&) override {
    throw std::logic_error("external: codes come from the program's codes file");
  }
  eval::PackedBits encode_text(const data::Dataset&, const std::vector<int64_t>&) override {
    throw std::logic_error("external: codes come from the program's codes file");
  }

  std::optional<SplitCodes> fit_and_encode(const data::Dataset& d, const data::Split& split, RunContext& ctx) override {
    const ExternalParams p = checked_params(ctx.params);
    const auto& argv = p.command;
    const std::string dir = fs::absolute(ctx.experiment_dir.empty() ? "." : ctx.experiment_dir).lexically_normal().string();
    const std::string work = fs::absolute(ctx.checkpoint_dir).string();
    const std::string request = work + "/request.json", codes_file = work + "/codes.mat";
    const std::string log_path = fs::absolute(ctx.log_path).string();
    std::error_code ec;
    fs::remove(codes_file, ec);  // an external cell never resumes: nothing of an earlier, killed attempt counts
    if (ctx.discard_epochs) ctx.discard_epochs();

    // The program's files must still be what the cell key was computed from.
    std::string files_sha;
    if (!p.files.empty()) {
      files_sha = hash_files(p.files, dir);
      if (ctx.inputs_key_json != files_key_json(files_sha))
        throw InputError("external: the program's files (" + argv_text(p.files) +
                         ") changed after the experiment was read, so this cell's key no longer describes them; "
                         "run again to give the cell its new key");
    }

    const auto t_prepare = Clock::now();
    JsonWriter j;
    j.begin_object();
    j.key("format").value(kRequestFormat);
    j.key("cell").begin_object().key("key").value(ctx.cell_key).key("experiment").value(ctx.experiment)
        .key("dataset").value(d.name).end_object();
    j.key("bits").value(ctx.bits).key("seed").value(static_cast<long long>(ctx.seed));
    j.key("threads").value(ctx.threads).key("device").value(ctx.device);
    j.key("hyper").raw(p.hyper.json);
    j.key("codes_file").value(codes_file);
    j.key("progress_fd").value(kProgressFd);
    j.key("items").begin_object().key("index_base").value(0);
    write_index_list(j, "train", split.train);
    write_index_list(j, "query", split.query);
    write_index_list(j, "database", split.database);
    j.end_object();
    j.key("data").raw(hand_over_data(d, ctx.scratch_dir + "/external-data", p.pixels == "materialise"));
    j.end_object();
    {
      std::ofstream out(request, std::ios::binary | std::ios::trunc);
      out << j.str() << "\n";
      if (!out) throw InputError("external: cannot write the request file '" + request + "'");
    }
    fs::create_directories(fs::path(log_path).parent_path(), ec);
    {
      std::ofstream log(log_path, std::ios::app);
      log << "=== cmhbench: cell " << ctx.cell_key << ", " << argv_text(argv) << " in " << dir << "\n";
    }
    const double prepare_s = seconds_since(t_prepare);

    ProcessSpec spec;
    spec.argv = argv;
    spec.cwd = dir;
    spec.env = program_environment(p, request, ctx.threads);
    spec.log_path = log_path;
    spec.progress_fd = kProgressFd;
    spec.timeout_seconds = parse_timeout(p.timeout);
    ProgressReader progress(ctx);
    const ProcessOutcome outcome =
        run_process(spec, [&](const std::string& line) { progress.line(line); }, ctx.stop_requested);
    progress.add_notes();
    const std::string who = "the program " + argv_text(argv);
    switch (outcome.end) {
      case ProcessOutcome::End::kExited:
        if (outcome.exit_code != 0) fail(who + " " + outcome.describe(), log_path);
        break;
      case ProcessOutcome::End::kTimedOut:
        fail(who + " ran past its timeout (timeout = \"" + p.timeout +
                 "\") and was stopped with its whole process group", log_path);
      case ProcessOutcome::End::kStopped:
        fail(who + " was stopped because cmhbench was asked to stop (SIGINT/SIGTERM); an external cell does not "
                   "resume: it is failed, and the next `cmhbench run` starts it again", log_path);
      case ProcessOutcome::End::kSignalled:
        fail(who + " " + outcome.describe(), log_path);
    }

    const auto t_read = Clock::now();
    if (!fs::exists(codes_file))
      fail(who + " exited with status 0 but wrote no codes file at '" + codes_file +
               "' (the request's codes_file; see methods/external/README.md)", log_path);
    SplitCodes codes;
    try {
      io::MatReader mat(codes_file);
      auto read = [&](const char* var, size_t items, const char* set) {
        eval::PackedBits c = *io::read_codes(mat, var, true, false, "external: the codes file");
        if (c.size() != items || c.bits() != ctx.bits)
          throw InputError("external: the codes file '" + codes_file + "' variable '" + var + "' is " +
                           std::to_string(c.size()) + "x" + std::to_string(c.bits()) + " but the " + set + " set needs " +
                           std::to_string(items) + "x" + std::to_string(ctx.bits) + " (items x bits, in the request's order)");
        return c;
      };
      codes.query_image = read("q_img", split.query.size(), "query");
      codes.query_text = read("q_txt", split.query.size(), "query");
      codes.database_image = read("r_img", split.database.size(), "database");
      codes.database_text = read("r_txt", split.database.size(), "database");
    } catch (const InputError& e) {
      fail("reading the codes file written by " + who + ": " + e.what(), log_path);
    }
    const double read_s = seconds_since(t_read);

    JsonWriter prov;
    prov.begin_object().key("command").raw(argv_text(argv)).key("cwd").value(dir);
    prov.key("files_sha256").value(files_sha).key("version").value(progress.version());
    prov.key("seconds").begin_object().key("hand_over").value(prepare_s).key("program").value(outcome.seconds)
        .key("read_codes").value(read_s).end_object();
    prov.end_object();
    ctx.provenance.emplace_back("external_program", prov.str());
    ctx.notes.push_back("external program " + argv_text(argv) +
                        (files_sha.empty() ? " (no files hashed)" : " (files sha256 " + files_sha.substr(0, 12) + ")") +
                        ", version: " + (progress.version().empty() ? "not reported" : progress.version()));
    return codes;
  }
};

}  // namespace

double parse_timeout(const std::string& text) {
  if (text.empty()) return 0;
  static const std::regex form(R"(\s*([0-9]+(\.[0-9]+)?)\s*([smhd]?)\s*)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw InputError("external: timeout \"" + text + "\" is not a duration; write e.g. \"90s\", \"30m\", \"6h\" or \"2d\" "
                     "(\"\" for no limit)");
  const double v = std::stod(m[1].str());
  const std::string unit = m[3].str();
  const double s = v * (unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 1);
  if (!(s > 0)) throw InputError("external: timeout \"" + text + "\" must be positive (\"\" for no limit)");
  return s;
}

std::string hash_files(const std::vector<std::string>& paths, const std::string& base_dir) {
  auto skipped = [](const fs::path& p) {
    const std::string name = p.filename().string();
    return name == "__pycache__" || name == ".git" || p.extension() == ".pyc";
  };
  std::vector<std::pair<std::string, fs::path>> files;  // (name in the hash, where it is)
  for (const auto& given : paths) {
    const fs::path root = fs::path(given).is_absolute() ? fs::path(given) : fs::path(base_dir) / given;
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      files.emplace_back(given, root);
    } else if (fs::is_directory(root, ec)) {
      for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        if (skipped(it->path())) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) files.emplace_back((fs::path(given) / fs::relative(it->path(), root)).generic_string(), it->path());
      }
    } else {
      throw InputError("external: 'files' names '" + given + "', which does not exist (looked for '" + root.string() +
                       "'; relative paths start in the experiment file's folder)");
    }
  }
  std::sort(files.begin(), files.end());
  std::string listing;  // one "name sha256" line per file: the hash of the whole is the hash of this
  for (const auto& [name, path] : files) listing += name + " " + data::fingerprint_file(path.string()).sha256 + "\n";
  return data::sha256_hex(listing);
}

MethodInfo external_method_info() {
  MethodInfo m;
  m.name = "external";
  m.display = "external";
  m.kind = MethodKind::kExternal;
  m.summary = "any program, in any language: one request file in, one codes file out, per cell";
  m.citation = "the program's own; provenance records its command, files' hash and version line";
  m.folder = "methods/external";
  m.params = external_params().table();
  m.uses_device = true;  // the program decides; the request names the device
  m.create = [] { return std::make_unique<External>(); };
  m.inputs = [](const Params& params, const std::string& experiment_dir) {
    const ExternalParams p = checked_params(params);
    const auto& argv = p.command;
    const std::string dir = fs::absolute(experiment_dir.empty() ? "." : experiment_dir).lexically_normal().string();
    const char* path = std::getenv("PATH");
    find_program(argv.front(), dir, path ? path : "");  // a missing program must not surface hours into a grid
    EntryInputs in;
    if (!p.files.empty()) in.key_json = files_key_json(hash_files(p.files, dir));
    in.commands.push_back(argv_text(argv) + " in " + dir +
                          (p.files.empty() ? " (no files hashed: editing the program re-runs nothing)" : ""));
    return in;
  };
  return m;
}

}  // namespace cmh::external
