// The Method interface and the registry of methods (see ../shared/design/ARCHITECTURE.md).
// Torch-free: a method's tensors stay inside its own .cpp; codes leave it packed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eval/packed.h"

namespace cmh {

namespace data {
struct Dataset;
struct Split;
}  // namespace data

/// A TOML table given as a parameter (an external program's pass-through settings), held as
/// JSON with sorted keys so that it hashes the same however the file orders it.
struct JsonText {
  std::string json;
};

/// A parameter value as written in TOML: integer, real, string, boolean, a list of strings or a
/// table.
using ParamValue = std::variant<int64_t, double, std::string, bool, std::vector<std::string>, JsonText>;

enum class ParamType { kInt, kReal, kString, kBool, kStringList, kTable };

/// One row of a method's parameter table: the one home of a default (STYLE.md).
struct ParamSpec {
  std::string name;  ///< the TOML key
  ParamType type = ParamType::kReal;
  ParamValue default_value;
  std::string help;
  std::vector<std::string> allowed;  ///< kString: the valid values (empty: any)
  /// kString: a file that must exist when the value is not empty, checked as soon as the
  /// experiment is read (a missing weights file must not surface hours into a grid).
  bool existing_file = false;
  /// False for settings that cannot change a result (an external program's timeout): they are
  /// stored with the run but left out of its cell key, so changing them re-runs nothing.
  bool in_key = true;
  /// kInt, kReal: the valid range (unset: unbounded); open = the bound itself is not valid.
  std::optional<double> lower = std::nullopt, upper = std::nullopt;
  bool lower_open = false, upper_open = false;
};

using ParamTable = std::vector<ParamSpec>;

/// Resolved parameters: every row of the table, with overrides applied and checked.
class Params {
 public:
  Params() = default;
  /// Checks every override against the table (unknown name, wrong type, value outside the
  /// allowed set → cmh::InputError naming the valid choices) and fills in defaults.
  /// Files (ParamSpec::existing_file) are looked for from `base_dir`, the experiment file's
  /// folder (empty: the working directory); the value keeps the path as written, so a cell's
  /// key does not depend on where the checkout lies. Methods resolve it with resolve_from.
  Params(const std::string& method, const ParamTable& table,
         const std::map<std::string, ParamValue>& overrides, const std::string& base_dir = "");

  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;  ///< accepts integers too
  const std::string& string(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::vector<std::string>& strings(const std::string& name) const;
  const std::string& table_json(const std::string& name) const;  ///< a kTable value as JSON
  const std::map<std::string, ParamValue>& values() const { return values_; }
  /// Sorted-key JSON of every value: stored with each run.
  std::string to_json() const;
  /// The same without the values whose spec says in_key = false: what a cell key hashes.
  std::string key_json() const;

 private:
  const ParamValue& get(const std::string& name) const;
  std::string json(bool key_only) const;
  std::string method_;
  std::map<std::string, ParamValue> values_;
  std::vector<std::string> not_in_key_;
};

std::string param_type_name(ParamType t);
/// A row's range in words (">= 0 and < 1"; "" when unbounded).
std::string param_range_text(const ParamSpec& spec);
/// Why `v` lies outside the row's range (nullopt: inside, or the row has none).
std::optional<std::string> out_of_range(const ParamSpec& spec, const ParamValue& v);
std::string param_value_text(const ParamValue& v);

/// Training diagnostics of one epoch (loss terms, learning rate, validation mAP …).
struct EpochLog {
  int epoch = 0;  ///< 1-based
  int epochs = 0;
  std::vector<std::pair<std::string, double>> values;
};

/// What a method receives besides the data.
/// Model selection as a cell's run gives it to the method: the rule (a deep method's `selection`
/// parameter; "final" for every other method) and, for rules other than "final", the score of the
/// method's current codes: the mean of i→t and t→i mAP on the selection set (the query set for
/// best_query, a validation split carved from the training items for best_val).
struct ModelSelection {
  std::string rule = "final";
  std::function<double()> score;  ///< empty for "final"
};

struct RunContext {
  int bits = 0;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 1;
  Params params;
  /// Called once per epoch (or once for closed-form methods); feeds the store and the progress line.
  std::function<void(const EpochLog&)> on_epoch;
  /// Folder for this cell's checkpoints ("" = none); a method that trains for epochs writes its
  /// state there and resumes from it.
  std::string checkpoint_dir;
  /// Deviations and choices a result depends on (e.g. "CCA: 6 of 16 bits are random
  /// projections"); stored with the run and shown by reports.
  std::vector<std::string> notes;
  /// Which epoch's model the method keeps, decided by the runner before fit (model_selection.h).
  ModelSelection selection;
  /// True once the user asked to stop (SIGINT): a method finishes its checkpoint, then throws
  /// cmh::Interrupted.
  std::function<bool()> stop_requested;
  /// The cell: its key, the experiment's name and folder (where an entry's relative paths start),
  /// and the folder beside the database for what outlives a cell (<db>.ckpt) and its logs.
  std::string cell_key, experiment, experiment_dir, scratch_dir, log_path;
  /// Drops the epochs an earlier, killed attempt of this cell logged (a method that never resumes,
  /// such as an external program, starts its epochs afresh).
  std::function<void()> discard_epochs;
  /// The entry's EntryInputs::key_json as the cell key hashed it ("" = none).
  std::string inputs_key_json;
  /// Provenance a method learns while it runs (an external program's command and version line):
  /// (key, JSON value) pairs stored with the run's library versions.
  std::vector<std::pair<std::string, std::string>> provenance;
};

/// The four code sets of a cell, in the split's item order.
struct SplitCodes {
  eval::PackedBits query_image, query_text, database_image, database_text;
};

/// A cross-modal hashing method: learns from the training items, then encodes any items of
/// either modality into codes of ctx.bits bits.
class Method {
 public:
  virtual ~Method() = default;
  /// Learns from dataset items `train` (indices into the dataset).
  virtual void fit(const data::Dataset& dataset, const std::vector<int64_t>& train, RunContext& ctx) = 0;
  virtual eval::PackedBits encode_image(const data::Dataset& dataset, const std::vector<int64_t>& items) = 0;
  virtual eval::PackedBits encode_text(const data::Dataset& dataset, const std::vector<int64_t>& items) = 0;
  /// The retrieval set's one code per item, made from both modalities at once, for methods whose
  /// papers code their database that way (CMFH, SePH: every database item has its image and its
  /// text); nullopt (the default): the database is coded per modality like the queries.
  virtual std::optional<eval::PackedBits> encode_database(const data::Dataset& dataset,
                                                          const std::vector<int64_t>& items) {
    (void)dataset, (void)items;
    return std::nullopt;
  }
  /// Bit-scalable methods (SCAHN): the code's bit indices, most significant first, so that the
  /// first k' give a k'-bit code without retraining; empty for other methods.
  virtual std::vector<int> bit_ranking() const { return {}; }
  /// What the ranking is (e.g. "intended attention ranking"), named in every bit-scalable result.
  virtual std::string bit_ranking_name() const { return ""; }
  /// Methods that learn and encode in one step outside this process (an external program) return
  /// every code set of the split here; nullopt (the default): the runner calls fit and the
  /// encoders.
  virtual std::optional<SplitCodes> fit_and_encode(const data::Dataset& dataset, const data::Split& split,
                                                   RunContext& ctx) {
    (void)dataset, (void)split, (void)ctx;
    return std::nullopt;
  }
};

/// The database's image-side and text-side codes: encode_database's one code for both when the
/// method has it, else encode_image and encode_text.
struct DatabaseCodes {
  eval::PackedBits image, text;
};
DatabaseCodes encode_database_codes(Method& method, const data::Dataset& dataset, const std::vector<int64_t>& items);

/// What a method entry brings besides its parameters, worked out when the experiment is read.
struct EntryInputs {
  std::string key_json;               ///< more for the cell key (e.g. hashes of a program's files); "" = none
  std::vector<std::string> commands;  ///< what the entry would run, for `cmhbench plan`
};

/// What a method is, for the order and grouping of tables: the closed-form and iterative
/// methods on fixed features, the networks trained here, and programs outside this one.
enum class MethodKind { kShallow, kDeep, kExternal };
std::string method_kind_name(MethodKind k);  ///< "shallow" | "deep" | "external"

/// A registered method: name, display name, kind, citation, parameter table and factory, all
/// declared beside its code (its folder's `*_method_info()`).
struct MethodInfo {
  std::string name;     ///< the registry and TOML name ("seph-km")
  std::string display;  ///< as tables print it ("SePH-km"); empty: the name
  MethodKind kind = MethodKind::kShallow;
  int rank = -1;  ///< its place in the registry's order (set by Registry::add): table order
  std::string summary;
  std::string citation;
  std::string folder;  ///< where its code and README live
  ParamTable params;
  std::function<std::unique_ptr<Method>()> create;
  /// True when the method computes on ctx.device (the deep ones); the others compute on the CPU
  /// whatever the device, and their runs record "cpu" with a note.
  bool uses_device = false;
  /// Checks what the table's types cannot (a command's shape) once the parameters are resolved,
  /// given the experiment file's folder, and says what the entry brings (EntryInputs); unset for
  /// methods whose parameters say everything. Throws cmh::InputError.
  std::function<EntryInputs(const Params&, const std::string& experiment_dir)> inputs;
};

/// The methods a program knows, in the order they were added: the order of `cmhbench methods`
/// and of the rows of every report table. The program assembles its registry (the executable:
/// harness/cli/builtin_methods.cpp, one line per method) and hands it to what reads experiments
/// and runs them; tests and fuzzers build their own.
class Registry {
 public:
  /// Adds a method; a second method of the same name is a std::logic_error.
  void add(MethodInfo info);
  /// Puts `info` in the place of the method of its name (a test build's defective copy); an
  /// unknown name is a std::logic_error.
  void replace(MethodInfo info);
  const MethodInfo* find(const std::string& name) const;
  /// Like find, but an unknown name is a cmh::InputError listing the registered ones.
  const MethodInfo& at(const std::string& name) const;
  std::vector<std::string> names() const;  ///< in the order added

 private:
  std::deque<MethodInfo> methods_;  // a deque: what find returned stays valid as methods are added
};

}  // namespace cmh
