// Declared datasets: a TOML description of where a dataset's labels, text and images live (file,
// variable, layout, kind, split), parsed and validated here and loaded by load_dataset. A new
// distribution of a known dataset needs a new declaration, not new code. Format reference:
// experiments/datasets/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/split.h"
#include "data/synthetic.h"

// toml++ is slow to compile, so only .cpp files include it; this forward declaration lets callers
// that already parse TOML (experiment files) pass an embedded table. A toml++ other than v3 makes
// declaration.cpp fail to compile (ambiguous toml::table) rather than misbehave.
namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace cmh::data {

/// Whether the items of a stored matrix are its rows (MATLAB N×D) or its columns (D×N).
enum class ItemLayout { kRows, kCols };

/// How labels are stored: an N×L 0/1 matrix, or one class number per item (single-label data).
enum class LabelEncoding { kMultiHot, kClassIndex };

struct LabelsDeclaration {
  std::string file;                    ///< resolved path
  std::vector<std::string> variables;  ///< one, or one per [split] part, in the parts' order
  ItemLayout layout = ItemLayout::kRows;
  LabelEncoding encoding = LabelEncoding::kMultiHot;
  int index_base = -1;     ///< class_index only: 0 or 1, stated by the declaration
  size_t num_classes = 0;  ///< class_index only: 0 = the largest class number found
};

enum class PixelStore { kAuto, kMemory, kCache };
inline constexpr size_t kHoldPixelsBelow = size_t(1) << 30;

struct ModalityDeclaration {
  std::string file;
  std::vector<std::string> variables;
  ItemLayout layout = ItemLayout::kRows;
  ModalityKind kind = ModalityKind::kFeatures;
  /// kPixels: the four axes in MATLAB's size() order (dims[0] first), a permutation of "nchw"
  /// with n first or last. DCMH's IAll, which h5py shows as (N, 3, W, H), is "hwcn".
  std::string pixel_layout;
  /// kPixels: held in memory, or copied once into an NCHW cache file and read per batch
  /// (PixelCache), so that a set larger than memory trains; auto = the cache from
  /// kHoldPixelsBelow bytes up.
  PixelStore pixel_store = PixelStore::kAuto;
  std::string cache_dir;  ///< where the cache lies; empty = default_pixel_cache_dir(file)
};

/// One split set read from an index file: text (whitespace-separated integers) or .mat (variable).
struct IndexFileDeclaration {
  std::string file;
  std::string variable;  ///< .mat files only
};

/// A split fixed by the data. Either the items are the concatenation of named parts (Wikipedia's
/// *_tr / *_te variables) and each set is a list of parts, or each set comes from an index file.
struct SplitDeclaration {
  std::vector<std::string> parts;
  std::vector<std::string> query_parts, train_parts, database_parts;
  /// Index-file sets; an absent database_file means "all non-query items" (the DCMH rule).
  std::optional<IndexFileDeclaration> query_file, train_file, database_file;
  int index_base = -1;  ///< index files: 0 or 1
};

/// Synthetic image completion of a dataset that has real labels ("synthetic_images").
struct SyntheticImagesDeclaration {
  uint64_t seed = 0;
  SyntheticImageParams params;
};

struct DatasetDeclaration {
  std::string name;         ///< also selects the default protocol (split.h default_protocol)
  std::string description;  ///< free text, shown by `cmhbench data inspect`
  std::string origin;       ///< where it was declared (file path or "<embedded>"), for messages
  std::string data_root;    ///< resolved folder that relative file paths were joined to
  std::optional<SyntheticParams> synthetic;  ///< a wholly synthetic dataset: no files
  std::optional<LabelsDeclaration> labels;
  std::optional<ModalityDeclaration> image, text;
  std::optional<SplitDeclaration> split;
  std::optional<SyntheticImagesDeclaration> synthetic_images;
  /// [protocol] keys over default_protocol(name); nullopt for fixed-split datasets.
  std::optional<Protocol> protocol;
};

/// Where a declaration sits, for resolving its relative paths.
struct DeclarationContext {
  std::string base_dir;   ///< the declaration's folder; "" = current directory
  std::string data_root;  ///< overrides the declaration's own data_root when not empty
  std::string origin;     ///< name used in error messages; "" = "<embedded>"
};

/// Parses and checks a declaration table (e.g. embedded in an experiment file). Relative file
/// paths resolve against data_root (ctx.data_root, else the table's data_root, itself relative to
/// ctx.base_dir), else against ctx.base_dir. Unknown keys and bad values throw InputError
/// ("data::declaration: …") naming the key and the valid choices.
DatasetDeclaration parse_declaration(const toml::table& table, const DeclarationContext& ctx);

/// The same from TOML text (ctx.origin names it in messages).
DatasetDeclaration parse_declaration_string(const std::string& toml_text,
                                            const DeclarationContext& ctx);

/// The same from a .toml file; base_dir = its folder. `data_root` overrides the file's own.
DatasetDeclaration parse_declaration_file(const std::string& path,
                                          const std::string& data_root = "");

/// Reads and validates every declared file (InputError "data::load: …" naming file, variable and
/// fix), generates synthetic parts, builds the fixed split and the file fingerprints.
/// Pixels stored in another axis order than NCHW are reordered `pixel_slab_bytes` of items at a
/// time (read as hyperslabs where the file allows), so loading costs the array plus one slab.
inline constexpr size_t kPixelSlabBytes = size_t(64) << 20;
/// A char variable `cmhbench data synth` writes beside its arrays: the names (space-separated) of
/// those it drew rather than read. A modality loaded from one of them is marked synthetic.
inline constexpr const char* kSyntheticVariablesName = "cmhbench_synthetic";
Dataset load_dataset(const DatasetDeclaration& decl, size_t pixel_slab_bytes = kPixelSlabBytes);

/// The split a declaration asks for: the dataset's fixed split, else the seeded split under
/// decl.protocol; InputError when it has neither.
Split make_split(const Dataset& d, const DatasetDeclaration& decl);

}  // namespace cmh::data
