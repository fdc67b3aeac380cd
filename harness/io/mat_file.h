// Reading and writing MATLAB .mat files (v5 and v7.3/HDF5) through matio; torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cmh::io {

/// The MATLAB class of a stored variable.
enum class MatClass { kDouble, kSingle, kInt8, kUInt8, kInt16, kUInt16, kInt32, kUInt32, kInt64,
                      kUInt64, kChar, kCell, kStruct, kSparse, kOther };

/// Readable name of a class ("double", "uint8", …) for error messages.
const char* mat_class_name(MatClass c);

/// What a variable is, read without loading its data.
struct MatVarInfo {
  std::string name;
  MatClass cls = MatClass::kOther;
  bool logical = false;      ///< MATLAB logical (stored as uint8)
  bool complex = false;
  std::vector<size_t> dims;  ///< MATLAB order: dims[0] = rows; data are column-major
  std::vector<std::string> fields;  ///< a struct's field names (so an error can say what it holds)
  size_t numel() const;
  std::string shape() const;  ///< "20015x24"
};

/// A dense numeric array as MATLAB stores it: column-major, dims[0] varies fastest.
template <class T>
struct MatArray {
  std::vector<size_t> dims;
  std::vector<T> data;
  size_t rows() const { return dims.empty() ? 0 : dims[0]; }
  size_t cols() const {  // product of all trailing dims
    size_t c = 1;
    for (size_t i = 1; i < dims.size(); ++i) c *= dims[i];
    return dims.empty() ? 0 : c;
  }
};

/// A variable read whole as a tree: cell arrays, structs and char arrays as well as numbers (a
/// MatConvNet model's `layers`). Numbers are converted to float, column-major.
struct MatNode {
  MatClass cls = MatClass::kOther;
  std::vector<size_t> dims;
  std::vector<float> values;  ///< numeric or logical arrays
  std::string text;           ///< char arrays (ASCII; other characters become '?')
  std::vector<std::pair<std::string, MatNode>> fields;  ///< a 1x1 struct's fields, in order
  std::vector<MatNode> elements;  ///< a cell array's cells, or a struct array's structs (column-major)
  /// The field called `name`, or nullptr.
  const MatNode* field(const std::string& name) const;
  std::string shape() const;  ///< "1x21"
};

/// For a struct: " It is a struct with fields A, B: name one as 'v.A'." (for error messages); else "".
std::string struct_hint(const MatVarInfo& info);

/// An open .mat file. Every error is a cmh::InputError naming the file and the variable.
/// A variable name may reach into scalar structs with dots ("data.X1", "meta.normalization.averageImage"),
/// as many MATLAB datasets and MatConvNet's model files store their arrays.
class MatReader {
 public:
  explicit MatReader(const std::string& path);
  ~MatReader();
  MatReader(const MatReader&) = delete;
  MatReader& operator=(const MatReader&) = delete;

  const std::string& path() const { return path_; }
  std::vector<MatVarInfo> variables() const;
  bool has(const std::string& name) const;
  MatVarInfo info(const std::string& name) const;

  /// Any real numeric or logical class, dense or sparse, converted to double.
  MatArray<double> read_double(const std::string& name) const;
  /// Any real numeric or logical class converted to float (sparse densified).
  MatArray<float> read_float(const std::string& name) const;
  /// Only uint8 or logical variables (pixels): never widened. From a v7.3 file the array is read
  /// straight into the buffer returned (a 3 GB IAll costs 3 GB); a v5 variable (under 2 GB by its
  /// format) passes through matio's buffer first.
  MatArray<uint8_t> read_uint8(const std::string& name) const;
  /// `count` slices of a uint8 array from `first` along MATLAB axis `axis` (0-based): the same
  /// array with dims[axis] = count. Read as an HDF5 hyperslab (only those bytes) from a v7.3
  /// file; from a v5 file the variable is read whole and the slab copied out, so callers ask
  /// slab_reads_are_cheap() before reading one in many pieces.
  MatArray<uint8_t> read_uint8_slab(const std::string& name, size_t axis, size_t first, size_t count) const;
  /// Any variable (or struct field) as a tree; at most `max_depth` levels of cells and structs.
  MatNode read_tree(const std::string& name, int max_depth = 8) const;
  /// True when read_uint8_slab reads only the slab (a top-level variable of a v7.3 file).
  bool slab_reads_are_cheap(const std::string& name) const;
  /// How many slices along MATLAB axis `axis` one HDF5 chunk of the variable spans (0: not a
  /// chunked v7.3 dataset). A compressed chunk is inflated whole for any byte of it, so slabs
  /// that start and end on chunk boundaries inflate each chunk once; matio chunks IAll as 2,048
  /// items × 2 channels × 1 × 1 pixel, so a 64-item slab would inflate 32 times what it keeps.
  size_t item_chunk(const std::string& name, size_t axis) const;

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

/// Writes a new .mat file (v5 compressed, or v7.3 when asked). Data are column-major.
/// `compress` = false writes v5 without zlib: for a file read once, soon (a hand-over to another
/// program), compressing costs more than it saves.
class MatWriter {
 public:
  explicit MatWriter(const std::string& path, bool v73 = false, bool compress = true);
  ~MatWriter();
  MatWriter(const MatWriter&) = delete;
  MatWriter& operator=(const MatWriter&) = delete;

  void write(const std::string& name, const std::vector<size_t>& dims, const double* data);
  void write(const std::string& name, const std::vector<size_t>& dims, const float* data);
  void write(const std::string& name, const std::vector<size_t>& dims, const uint8_t* data);
  void write(const std::string& name, const std::vector<size_t>& dims, const int32_t* data);
  /// A 1×N char array (ASCII), e.g. a fingerprint recorded beside the data.
  void write_text(const std::string& name, const std::string& text);

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

/// Column-major rows×cols (MATLAB) → row-major rows×cols (C), or transposed when `items_are_cols`
/// so that the result is always items×features row-major.
template <class T>
std::vector<T> to_row_major(const MatArray<T>& a, bool items_are_cols = false);

}  // namespace cmh::io
