// The Method interface and the registry of methods (see ../shared/design/ARCHITECTURE.md).
// Torch-free: a method's tensors stay inside its own .cpp; codes leave it packed.
#pragma once

#include <cstdint>
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
}

/// A parameter value as written in TOML: integer, real, string or boolean.
using ParamValue = std::variant<int64_t, double, std::string, bool>;

enum class ParamType { kInt, kReal, kString, kBool };

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
};

using ParamTable = std::vector<ParamSpec>;

/// Resolved parameters: every row of the table, with overrides applied and checked.
class Params {
 public:
  Params() = default;
  /// Checks every override against the table (unknown name, wrong type, value outside the
  /// allowed set → cmh::InputError naming the valid choices) and fills in defaults.
  Params(const std::string& method, const ParamTable& table,
         const std::map<std::string, ParamValue>& overrides);

  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;  ///< accepts integers too
  const std::string& string(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::map<std::string, ParamValue>& values() const { return values_; }
  /// Sorted-key JSON of every value: stored with each run and part of its cell key.
  std::string to_json() const;

 private:
  const ParamValue& get(const std::string& name) const;
  std::string method_;
  std::map<std::string, ParamValue> values_;
};

std::string param_type_name(ParamType t);
std::string param_value_text(const ParamValue& v);

/// Training diagnostics of one epoch (loss terms, learning rate, validation mAP …).
struct EpochLog {
  int epoch = 0;  ///< 1-based
  int epochs = 0;
  std::vector<std::pair<std::string, double>> values;
};

/// What a method receives besides the data.
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
  /// For selection rules other than "final": the mean of i→t and t→i mAP of the method's current
  /// codes on the selection set (the query set for best_query, a validation split carved from
  /// the training items for best_val), computed by the runner. Empty for closed-form methods.
  std::function<double()> selection_score;
  /// True once the user asked to stop (SIGINT): a method finishes its checkpoint, then throws
  /// cmh::Interrupted.
  std::function<bool()> stop_requested;
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
};

/// The database's image-side and text-side codes: encode_database's one code for both when the
/// method has it, else encode_image and encode_text.
struct DatabaseCodes {
  eval::PackedBits image, text;
};
DatabaseCodes encode_database_codes(Method& method, const data::Dataset& dataset, const std::vector<int64_t>& items);

/// A registered method: name, citation, parameter table and factory.
struct MethodInfo {
  std::string name;
  std::string summary;
  std::string citation;
  std::string folder;  ///< where its code and README live
  ParamTable params;
  std::function<std::unique_ptr<Method>()> create;
  /// True when the method computes on ctx.device (the deep ones); the others compute on the CPU
  /// whatever the device, and their runs record "cpu" with a note.
  bool uses_device = false;
};

/// name → MethodInfo for every built-in method (filled by register_builtin_methods; explicit
/// calls, so a static library never drops a method the way self-registering objects can be).
class Registry {
 public:
  /// Every built-in method; defined in methods/builtin_registry.cpp (library cmh_methods).
  static const Registry& builtin();
  void add(MethodInfo info);
  const MethodInfo* find(const std::string& name) const;
  /// Like find, but an unknown name is a cmh::InputError listing the registered ones.
  const MethodInfo& at(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, MethodInfo> methods_;
};

/// Adds every built-in method to `r` (methods/builtin_methods.cpp, library cmh_methods).
void add_builtin_methods(Registry& r);

}  // namespace cmh
