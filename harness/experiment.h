// Experiment files (experiments/*.toml): a declared grid of methods × datasets × code lengths ×
// seeds, parsed and checked into cells. A cell's key is a hash of its canonical description, so
// the same cell is recognised across runs, shards and machines. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/declaration.h"
#include "eval/metrics.h"
#include "method.h"

namespace cmh {

struct DatasetEntry {
  data::DatasetDeclaration declaration;
  std::string canonical_json;  ///< the declaration's keys as sorted JSON (paths as written)
};

struct MethodEntry {
  std::string label;   ///< distinguishes two entries of one method with other parameters
  std::string method;  ///< registry name
  const MethodInfo* info = nullptr;  ///< its registry entry (the registry outlives the experiment)
  Params params;       ///< resolved: defaults + overrides
  std::vector<int> bits;  ///< this entry's code lengths (default: the experiment's)
  std::vector<std::string> datasets;  ///< dataset names this entry runs on (default: all)
  std::string experiment_dir;  ///< the experiment file's folder: where the entry's relative paths start
  EntryInputs inputs;          ///< from MethodInfo::inputs (external programs: files' hash, commands)
};

struct Experiment {
  std::string name, description, path;
  std::vector<DatasetEntry> datasets;
  std::vector<MethodEntry> methods;
  std::vector<int> bits;
  std::vector<int64_t> seeds;
  eval::EvalConfig eval;
  int threads = 0;  ///< 0: all cores (recorded with every run)
  std::string device = "cpu";
};

struct Cell {
  size_t index = 0;  ///< position in the expanded grid (sharding uses it)
  const MethodEntry* method = nullptr;
  const DatasetEntry* dataset = nullptr;
  int bits = 0;
  int64_t seed = 0;
  std::string description_json;  ///< canonical: what the key hashes
  std::string key;               ///< first 16 hex digits of SHA-256(description_json)
};

/// Parses and checks an experiment file. Every mistake is a cmh::InputError that starts with
/// "experiment '<path>':" and names the key, the valid choices and the fix. `data_root`, when
/// not empty, overrides where dataset files are looked for. Method names are looked up in
/// `registry`, which must outlive the experiment.
Experiment load_experiment(const Registry& registry, const std::string& path, const std::string& data_root = "");

/// The same from TOML text (tests; `origin` names it in messages, `base_dir` resolves paths).
Experiment parse_experiment(const Registry& registry, const std::string& toml_text, const std::string& origin,
                            const std::string& base_dir, const std::string& data_root = "");

/// Every cell of the grid, in a stable order: dataset, method entry, bits, seed.
std::vector<Cell> expand_cells(const Experiment& e);

/// `--only method=cca,bits=16,dataset=…,seed=…,label=…` (a key may repeat: OR within a key,
/// AND across keys) and `--shard i/m` (cells whose index % m == i).
struct CellFilter {
  std::map<std::string, std::vector<std::string>> only;
  int shard_index = 0, shard_count = 1;
  static CellFilter parse(const std::string& only, const std::string& shard);
  bool accepts(const Cell& c) const;
};

}  // namespace cmh
