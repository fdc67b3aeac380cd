// matio wrapper: every failure becomes a cmh::InputError that names the file, the variable and a fix.
#include "io/mat_file.h"

#include <hdf5.h>
#include <matio.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "common/error.h"

namespace cmh::io {
namespace {

// matio reports problems through a global log callback; keep the last message so that our own
// error can quote it instead of matio printing to stderr behind our back.
std::mutex g_log_mutex;
std::string g_last_log;
// Problems matio logged (error, critical, warning). matio reads a truncated variable by warning
// "Read beyond EOF" and handing back zero-filled data, so a read that logged one is refused.
size_t g_problems = 0;

void capture_log(int level, char* message) {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  g_last_log = message ? message : "";
  if (level & (MATIO_LOG_LEVEL_ERROR | MATIO_LOG_LEVEL_CRITICAL | MATIO_LOG_LEVEL_WARNING))
    ++g_problems;
}

size_t problem_count() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  return g_problems;
}

void install_log_once() {
  static std::once_flag once;
  std::call_once(once, [] { Mat_LogInitFunc("cmhbench", capture_log); });
}

std::string last_log() {
  std::lock_guard<std::mutex> lock(g_log_mutex);
  return g_last_log.empty() ? std::string() : " (matio: " + g_last_log + ")";
}

MatClass to_class(const matvar_t* v) {
  switch (v->class_type) {
    case MAT_C_DOUBLE: return MatClass::kDouble;
    case MAT_C_SINGLE: return MatClass::kSingle;
    case MAT_C_INT8: return MatClass::kInt8;
    case MAT_C_UINT8: return MatClass::kUInt8;
    case MAT_C_INT16: return MatClass::kInt16;
    case MAT_C_UINT16: return MatClass::kUInt16;
    case MAT_C_INT32: return MatClass::kInt32;
    case MAT_C_UINT32: return MatClass::kUInt32;
    case MAT_C_INT64: return MatClass::kInt64;
    case MAT_C_UINT64: return MatClass::kUInt64;
    case MAT_C_CHAR: return MatClass::kChar;
    case MAT_C_CELL: return MatClass::kCell;
    case MAT_C_STRUCT: return MatClass::kStruct;
    case MAT_C_SPARSE: return MatClass::kSparse;
    default: return MatClass::kOther;
  }
}

MatVarInfo make_info(const matvar_t* v) {
  MatVarInfo info;
  info.name = v->name ? v->name : "";
  info.cls = to_class(v);
  info.logical = v->isLogical != 0;
  info.complex = v->isComplex != 0;
  info.dims.assign(v->dims, v->dims + v->rank);
  return info;
}

struct VarDeleter {
  void operator()(matvar_t* v) const { Mat_VarFree(v); }
};
using VarPtr = std::unique_ptr<matvar_t, VarDeleter>;

// Copies `n` elements of matio's buffer (stored in `type`) into out, converting to T.
template <class T>
void convert(const void* src, enum matio_types type, size_t n, T* out) {
  auto copy = [&](auto* p) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(p[i]);
  };
  switch (type) {
    case MAT_T_DOUBLE: copy(static_cast<const double*>(src)); break;
    case MAT_T_SINGLE: copy(static_cast<const float*>(src)); break;
    case MAT_T_INT8: copy(static_cast<const int8_t*>(src)); break;
    case MAT_T_UINT8: copy(static_cast<const uint8_t*>(src)); break;
    case MAT_T_INT16: copy(static_cast<const int16_t*>(src)); break;
    case MAT_T_UINT16: copy(static_cast<const uint16_t*>(src)); break;
    case MAT_T_INT32: copy(static_cast<const int32_t*>(src)); break;
    case MAT_T_UINT32: copy(static_cast<const uint32_t*>(src)); break;
    case MAT_T_INT64: copy(static_cast<const int64_t*>(src)); break;
    case MAT_T_UINT64: copy(static_cast<const uint64_t*>(src)); break;
    default: throw InputError("unsupported matio data type " + std::to_string(type));
  }
}

// A MAT v5 file is a 128-byte header and a sequence of tagged data elements (type, byte count,
// bytes padded to 8); a matrix element nests more of them (flags, dimensions, name, data, cells
// and fields). matio trusts every byte count it reads and allocates what they claim: a count
// corrupted to 1.6 GB in an 880-byte file made it allocate and clear 1.6 GB for a variable name,
// and one in a compressed element asked for 3.4 GB (both found by tests/fuzz). So before matio
// sees a v5 file, every element's count is checked against the bytes that enclose it. A
// compressed element (zlib) is inflated up to kPrefix bytes and checked the same way; what it
// holds may claim at most kMaxRatio bytes per compressed byte (zlib's limit is 1032), so no claim
// exceeds a fixed multiple of the file's size.
class V5Walker {
 public:
  V5Walker(std::FILE* f, uint64_t size, bool swap) : f_(f), size_(size), swap_(swap) {}

  /// "" when every element fits; otherwise what is wrong.
  std::string check() { return walk(128, size_, 0, nullptr); }

 private:
  static constexpr uint64_t kPrefix = 1 << 16;
  static constexpr uint64_t kMaxRatio = 1100;

  uint32_t word(const unsigned char* p) const {
    return swap_ ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3])
                 : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
  }

  // `n` bytes from the file, or from `mem` (an inflated prefix) when given; false past the end.
  bool read(uint64_t at, size_t n, const std::vector<unsigned char>* mem, unsigned char* buf) {
    if (mem) {
      if (at + n > mem->size()) return false;
      std::memcpy(buf, mem->data() + at, n);
      return true;
    }
    return fseeko(f_, static_cast<off_t>(at), SEEK_SET) == 0 && std::fread(buf, 1, n, f_) == n;
  }

  bool read_tag(uint64_t at, const std::vector<unsigned char>* mem, uint32_t& type, uint32_t& bytes) {
    unsigned char buf[8];
    if (!read(at, 8, mem, buf)) return false;
    type = word(buf);
    bytes = word(buf + 4);
    return true;
  }

  // A matrix's array flags and dimensions (its first two elements, at `at`): the dimensions
  // must be int32 and, unless sparse, hold no more values than kMaxRatio per byte of the file
  // (matio allocates by them: an 880-byte file whose dimensions were typed int8 made it allocate
  // 1.9 GB; tests/fuzz).
  std::string check_dims(uint64_t at, uint64_t end, const std::vector<unsigned char>* mem) {
    unsigned char flags[16], tag[8];
    if (at + 16 + 8 > end || !read(at, 16, mem, flags) || !read(at + 16, 8, mem, tag)) return "";
    // matio reads the dimensions 16 bytes in whatever the flags element's tag says (a flags tag
    // of 15 bytes made it allocate 3.2 GB; tests/fuzz), so they are checked there in every case;
    // only well-formed flags can mark the variable sparse.
    const bool flags_ok = word(flags) == 6 && word(flags + 4) == 8;
    const bool sparse = flags_ok && (word(flags + 8) & 0xff) == 5;
    const uint32_t type = word(tag), bytes = word(tag + 4);
    if (type != 5 || bytes % 4 != 0 || bytes < 8 || bytes > 4 * 64)
      return "a variable's dimensions are not 2 to 64 int32 values";
    unsigned char dims[4 * 64];
    if (!read(at + 24, bytes, mem, dims)) return "";
    uint64_t numel = 1;
    const uint64_t limit = kMaxRatio * size_;
    for (uint32_t k = 0; k < bytes / 4; ++k) {
      const uint64_t d = word(dims + 4 * k);
      numel = d != 0 && numel > limit / d ? limit + 1 : numel * d;
    }
    if (!sparse && numel > limit)
      return "a variable claims more values than the file can hold";
    return "";
  }

  // The first kPrefix bytes (or fewer) that the compressed element at [at, at + bytes) inflates to.
  std::vector<unsigned char> inflate_prefix(uint64_t at, uint32_t bytes) {
    std::vector<unsigned char> in(std::min<uint64_t>(bytes, 1 << 20)), out(kPrefix);
    if (fseeko(f_, static_cast<off_t>(at), SEEK_SET) != 0 || std::fread(in.data(), 1, in.size(), f_) != in.size())
      return {};
    z_stream z{};
    if (inflateInit(&z) != Z_OK) return {};
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    inflate(&z, Z_SYNC_FLUSH);  // errors show as a short prefix; matio reports them itself
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return out;
  }

  // Checks the elements in [at, end); with `mem`, offsets are into the inflated prefix and the
  // walk stops quietly where the prefix ends.
  std::string walk(uint64_t at, uint64_t end, int depth, const std::vector<unsigned char>* mem) {
    if (depth > 32) return "matrices nested more than 32 deep";
    while (at + 8 <= end) {
      uint32_t type = 0, bytes = 0;
      if (!read_tag(at, mem, type, bytes)) {
        if (mem) return "";
        return "cannot read the element at byte " + std::to_string(at);
      }
      if (type >> 16) {  // small element: type and size in one word, data in the next four bytes
        if ((type >> 16) > 4) return "a small element claims " + std::to_string(type >> 16) + " bytes (at most 4)";
        at += 8;
        continue;
      }
      const uint64_t stop = at + 8 + bytes;
      if (stop > end)
        return std::string(mem ? "inside a compressed variable, an element" : "the element at byte " + std::to_string(at)) +
               " claims " + std::to_string(bytes) + " bytes but only " + std::to_string(end - at - 8) + " follow" +
               (!mem && depth == 0 ? " in the file" : " in what encloses it");
      if (type == 14) {  // miMATRIX: walk what it holds
        std::string inner = check_dims(at + 8, stop, mem);
        if (inner.empty()) inner = walk(at + 8, stop, depth + 1, mem);
        if (!inner.empty()) return inner;
      } else if (type == 15 && !mem) {  // miCOMPRESSED: one matrix, deflated
        const std::vector<unsigned char> prefix = inflate_prefix(at + 8, bytes);
        const std::string inner = walk(0, kMaxRatio * (uint64_t(bytes) + 8), depth + 1, &prefix);
        if (!inner.empty()) return inner;
      }
      // Top-level elements are not padded after compression; nested ones are, to 8 bytes.
      at = depth == 0 ? stop : at + 8 + ((uint64_t(bytes) + 7) / 8) * 8;
    }
    return "";
  }

  std::FILE* f_;
  uint64_t size_;
  bool swap_;
};

/// "" for a v5 file whose element sizes all fit (or a file that is not v5); else the problem.
std::string check_v5_structure(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  unsigned char header[128];
  std::string problem;
  if (std::fread(header, 1, 128, f) == 128 && fseeko(f, 0, SEEK_END) == 0) {
    const uint64_t size = static_cast<uint64_t>(ftello(f));
    const bool little = header[126] == 'I' && header[127] == 'M';
    const bool big = header[126] == 'M' && header[127] == 'I';
    const unsigned version = little ? header[124] | header[125] << 8 : header[124] << 8 | header[125];
    if ((little || big) && version == 0x0100) problem = V5Walker(f, size, big).check();
  }
  std::fclose(f);
  return problem;
}

/// "" when `path` starts with the 128-byte header of a v5 or v7.3 file; else what it lacks.
std::string check_header(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "it cannot be read";
  unsigned char h[128];
  const size_t got = std::fread(h, 1, sizeof h, f);
  std::fclose(f);
  if (got < sizeof h) return "it has " + std::to_string(got) + " bytes, less than the 128-byte header";
  const bool little = h[126] == 'I' && h[127] == 'M', big = h[126] == 'M' && h[127] == 'I';
  const unsigned version = little ? h[124] | h[125] << 8 : h[124] << 8 | h[125];
  if (!(little || big) || (version != 0x0100 && version != 0x0200))
    return "its header has no v5/v7.3 version and byte-order mark (a MAT v4 or another format)";
  return "";
}

size_t element_count(const matvar_t* v) {
  size_t n = 1;
  for (int i = 0; i < v->rank; ++i) n *= v->dims[i];
  return n;
}

}  // namespace

const char* mat_class_name(MatClass c) {
  switch (c) {
    case MatClass::kDouble: return "double";
    case MatClass::kSingle: return "single";
    case MatClass::kInt8: return "int8";
    case MatClass::kUInt8: return "uint8";
    case MatClass::kInt16: return "int16";
    case MatClass::kUInt16: return "uint16";
    case MatClass::kInt32: return "int32";
    case MatClass::kUInt32: return "uint32";
    case MatClass::kInt64: return "int64";
    case MatClass::kUInt64: return "uint64";
    case MatClass::kChar: return "char";
    case MatClass::kCell: return "cell";
    case MatClass::kStruct: return "struct";
    case MatClass::kSparse: return "sparse";
    default: return "unknown";
  }
}

std::string struct_hint(const MatVarInfo& info) {
  if (info.cls != MatClass::kStruct) return "";
  if (info.fields.empty()) return " '" + info.name + "' is a struct with no fields.";
  std::string fields;
  for (const auto& f : info.fields) fields += (fields.empty() ? "" : ", ") + f;
  return " '" + info.name + "' is a struct with fields " + fields + ": name one as '" + info.name + "." +
         info.fields[0] + "'.";
}

size_t MatVarInfo::numel() const {
  size_t n = dims.empty() ? 0 : 1;
  for (size_t d : dims) n *= d;
  return n;
}

std::string MatVarInfo::shape() const {
  std::ostringstream os;
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? "x" : "") << dims[i];
  return os.str();
}

namespace {

// Splits "data.X1" into {"data", "X1"}.
std::vector<std::string> split_path(const std::string& name) {
  std::vector<std::string> parts;
  size_t at = 0;
  for (;;) {
    const size_t dot = name.find('.', at);
    parts.push_back(name.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
    if (dot == std::string::npos) return parts;
    at = dot + 1;
  }
}

std::string join_names(char* const* names, unsigned n) {
  std::string out;
  for (unsigned k = 0; k < n; ++k) out += (k ? ", " : "") + std::string(names[k] ? names[k] : "?");
  return out;
}

MatVarInfo describe(const matvar_t* v, const std::string& name) {
  MatVarInfo info = make_info(v);
  info.name = name;
  if (v->class_type == MAT_C_STRUCT) {
    char* const* names = Mat_VarGetStructFieldnames(v);
    for (unsigned k = 0; names && k < Mat_VarGetNumberOfFields(const_cast<matvar_t*>(v)); ++k)
      info.fields.push_back(names[k] ? names[k] : "");
  }
  return info;
}

}  // namespace

struct MatReader::Impl {
  mat_t* mat = nullptr;
  std::vector<MatVarInfo> vars;
  /// v5: no variable can hold more elements than 1100 per byte of the file (zlib's ratio is at
  /// most 1032:1), so dimensions beyond that are corrupt and are refused before matio allocates.
  uint64_t max_elements = UINT64_MAX;
  /// v7.3: the same file opened through HDF5 itself, for hyperslab reads (opened on first use).
  hid_t h5 = H5I_INVALID_HID;

  ~Impl() {
    if (h5 >= 0) H5Fclose(h5);
  }

  /// A top-level dataset of the v7.3 file through HDF5 (the file opened on first use); a negative
  /// id when HDF5 cannot open it (the caller reports that).
  hid_t open_dataset(const std::string& path, const std::string& name) {
    if (h5 < 0) {
      H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by our messages
      h5 = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    }
    return h5 >= 0 ? H5Dopen2(h5, ("/" + name).c_str(), H5P_DEFAULT) : H5I_INVALID_HID;
  }

  /// A variable, or a field inside scalar structs ("data.X1"): `var` points into `root`, which owns it.
  struct Resolved {
    VarPtr root;
    matvar_t* var = nullptr;
  };

  /// Reads the top-level variable of `name` (its data too when `with_data`) and walks its fields.
  /// The top-level name is known to exist (MatReader::info checked it).
  Resolved resolve(const std::string& path, const std::string& name, bool with_data) const {
    const std::vector<std::string> parts = split_path(name);
    const size_t problems_before = problem_count();
    Resolved r;
    r.root.reset(with_data ? Mat_VarRead(mat, parts[0].c_str()) : Mat_VarReadInfo(mat, parts[0].c_str()));
    if (!r.root || problem_count() != problems_before)
      throw InputError("mat: '" + path + "' variable '" + parts[0] + "' could not be read" + last_log() +
                       "; the file is truncated or corrupt: copy or download it again");
    r.var = r.root.get();
    std::string so_far = parts[0];
    for (size_t k = 1; k < parts.size(); ++k) {
      if (r.var->class_type != MAT_C_STRUCT)
        throw InputError("mat: '" + path + "' variable '" + so_far + "' is of class " + mat_class_name(to_class(r.var)) +
                         ", not a struct, so it has no field '" + parts[k] + "'; name '" + so_far + "' itself");
      if (element_count(r.var) != 1)
        throw InputError("mat: '" + path + "' variable '" + so_far + "' is a " + make_info(r.var).shape() +
                         " struct array; only fields of a 1x1 struct can be named (store the array as a field of one struct)");
      matvar_t* field = Mat_VarGetStructFieldByName(r.var, parts[k].c_str(), 0);
      if (!field) {
        char* const* names = Mat_VarGetStructFieldnames(r.var);
        throw InputError("mat: '" + path + "' variable '" + so_far + "' is a struct with no field '" + parts[k] +
                         "'; its fields are: " + join_names(names, Mat_VarGetNumberOfFields(r.var)) +
                         ". Name one as '" + so_far + ".FIELD'");
      }
      r.var = field;
      so_far += "." + parts[k];
    }
    return r;
  }

  /// A numeric variable (or field) read whole and converted to T.
  template <class T>
  MatArray<T> read_converted(const std::string& path, const std::string& name, const MatVarInfo& info) const;
  /// `info` when it is a readable uint8 array; else an InputError saying what it is.
  MatVarInfo uint8_info(const std::string& path, const std::string& name, const MatVarInfo& info) const;
};

MatReader::MatReader(const std::string& path) : path_(path), impl_(std::make_unique<Impl>()) {
  install_log_once();
  // Only v5 and v7.3 files: anything else matio would read as MAT v4, whose headers it trusts
  // even more (a 23-byte file made it allocate and clear gigabytes for a name; tests/fuzz).
  if (const std::string problem = check_header(path); !problem.empty())
    throw InputError("mat: cannot open '" + path + "' as a MATLAB .mat file (v5 or v7.3): " + problem +
                     "; check that the path is right and the file is not truncated (MATLAB: save with "
                     "-v7 or -v7.3)");
  impl_->mat = Mat_Open(path.c_str(), MAT_ACC_RDONLY);
  if (!impl_->mat)
    throw InputError("mat: cannot open '" + path + "' as a MATLAB .mat file (v5 or v7.3)" +
                     last_log() + "; check that the path exists and the file is not truncated");
  if (Mat_GetVersion(impl_->mat) == MAT_FT_MAT5) {
    const std::string problem = check_v5_structure(path);
    if (!problem.empty()) {
      Mat_Close(impl_->mat);
      impl_->mat = nullptr;
      throw InputError("mat: '" + path + "' is truncated or corrupt (" + problem +
                       "); copy or download it again");
    }
    std::error_code ec;
    impl_->max_elements = 1100 * static_cast<uint64_t>(std::filesystem::file_size(path, ec));
  }
  Mat_Rewind(impl_->mat);
  while (matvar_t* v = Mat_VarReadNextInfo(impl_->mat)) {
    impl_->vars.push_back(describe(v, v->name ? v->name : ""));
    Mat_VarFree(v);
  }
}

MatReader::~MatReader() {
  if (impl_ && impl_->mat) Mat_Close(impl_->mat);
}

std::vector<MatVarInfo> MatReader::variables() const { return impl_->vars; }

bool MatReader::has(const std::string& name) const {
  const std::string top = split_path(name)[0];
  for (const auto& v : impl_->vars)
    if (v.name == top) {
      if (top == name) return true;
      try {
        impl_->resolve(path_, name, false);
        return true;
      } catch (const InputError&) {
        return false;
      }
    }
  return false;
}

MatVarInfo MatReader::info(const std::string& name) const {
  const std::string top = split_path(name)[0];
  for (const auto& v : impl_->vars)
    if (v.name == top) {
      if (top == name) return v;
      const Impl::Resolved r = impl_->resolve(path_, name, false);
      return describe(r.var, name);
    }
  std::string names, hints;
  for (const auto& v : impl_->vars) {
    names += (names.empty() ? "" : ", ") + v.name;
    hints += struct_hint(v);
  }
  throw InputError("mat: '" + path_ + "' has no variable '" + name + "'; it holds: " +
                   (names.empty() ? "(nothing)" : names) +
                   ". Name one of these in the declaration or command line." + hints);
}

namespace {

std::string refuse_class(const std::string& where, const MatVarInfo& info) {
  return where + " is of class " + mat_class_name(info.cls) + "; a numeric or logical array is required." +
         struct_hint(info);
}

void check_readable(const std::string& where, const MatVarInfo& info, uint64_t max_elements) {
  uint64_t numel = info.dims.empty() ? 0 : 1;
  for (size_t d : info.dims)
    numel = d != 0 && numel > max_elements / d ? max_elements + 1 : numel * d;
  if (numel > max_elements)
    throw InputError(where + " claims dimensions " + info.shape() +
                     ", more values than the file can hold; the file is truncated or corrupt: copy or "
                     "download it again");
  if (info.complex) throw InputError(where + " is complex; only real arrays are supported");
  if (info.cls == MatClass::kChar || info.cls == MatClass::kCell || info.cls == MatClass::kStruct ||
      info.cls == MatClass::kOther)
    throw InputError(refuse_class(where, info));
}

// Converts a variable read with its data (a top-level one or a struct's field) to T.
template <class T>
MatArray<T> convert_var(const matvar_t* v, const std::string& where) {
  if (!v->data && element_count(v) > 0)
    throw InputError(where + " could not be read" + last_log() +
                     "; the file is truncated or corrupt: copy or download it again");
  MatArray<T> out;
  out.dims.assign(v->dims, v->dims + v->rank);
  const size_t n = element_count(v);
  out.data.assign(n, T(0));
  if (v->class_type == MAT_C_SPARSE) {
    if (v->rank != 2) throw InputError(where + " is a sparse array of rank != 2");
    const auto* sp = static_cast<const mat_sparse_t*>(v->data);
    const size_t rows = v->dims[0], cols = v->dims[1];
    std::vector<T> values(sp->ndata);
    convert(sp->data, v->data_type, sp->ndata, values.data());
    for (size_t c = 0; c < cols && c + 1 < sp->njc; ++c)
      for (size_t k = sp->jc[c]; k < sp->jc[c + 1] && k < sp->nir && k < sp->ndata; ++k) {
        if (static_cast<size_t>(sp->ir[k]) >= rows)
          throw InputError(where + " is a sparse array with row index " + std::to_string(sp->ir[k]) +
                           " outside its " + std::to_string(rows) +
                           " rows; the file is corrupt: copy or download it again");
        out.data[c * rows + static_cast<size_t>(sp->ir[k])] = values[k];
      }
    return out;
  }
  if (n > 0) convert(v->data, v->data_type, n, out.data.data());
  return out;
}

}  // namespace

template <class T>
MatArray<T> MatReader::Impl::read_converted(const std::string& path, const std::string& name, const MatVarInfo& i) const {
  const std::string where = "mat: '" + path + "' variable '" + name + "'";
  check_readable(where, i, max_elements);
  const size_t problems_before = problem_count();
  const Resolved r = resolve(path, name, true);
  if (problem_count() != problems_before)
    throw InputError(where + " could not be read" + last_log() + "; the file is truncated or corrupt: copy or download it again");
  return convert_var<T>(r.var, where);
}

namespace {

MatNode to_tree(const matvar_t* v, const std::string& where, int depth) {
  if (depth < 0) throw InputError(where + " nests cells and structs too deep");
  MatNode node;
  node.cls = to_class(v);
  node.dims.assign(v->dims, v->dims + v->rank);
  const size_t n = element_count(v);
  switch (v->class_type) {
    case MAT_C_CELL: {
      auto* const* cells = static_cast<matvar_t* const*>(v->data);
      for (size_t k = 0; k < n; ++k) {
        if (!cells || !cells[k]) throw InputError(where + " has an unreadable cell " + std::to_string(k + 1));
        node.elements.push_back(to_tree(cells[k], where + "{" + std::to_string(k + 1) + "}", depth - 1));
      }
      break;
    }
    case MAT_C_STRUCT: {
      const unsigned nf = Mat_VarGetNumberOfFields(const_cast<matvar_t*>(v));
      char* const* names = Mat_VarGetStructFieldnames(v);
      auto* const* values = static_cast<matvar_t* const*>(v->data);
      auto one = [&](size_t e) {
        MatNode s;
        s.cls = MatClass::kStruct;
        s.dims = {1, 1};
        for (unsigned f = 0; f < nf; ++f) {
          const matvar_t* fv = values ? values[e * nf + f] : nullptr;
          const std::string fname = names && names[f] ? names[f] : "?";
          if (!fv) throw InputError(where + " has an unreadable field '" + fname + "'");
          s.fields.emplace_back(fname, to_tree(fv, where + "." + fname, depth - 1));
        }
        return s;
      };
      if (n == 1) node.fields = one(0).fields;
      else
        for (size_t e = 0; e < n; ++e) node.elements.push_back(one(e));
      break;
    }
    case MAT_C_CHAR: {
      const size_t width = v->data_type == MAT_T_UINT16 || v->data_type == MAT_T_UTF16 ? 2
                           : v->data_type == MAT_T_UINT32 || v->data_type == MAT_T_UTF32 ? 4 : 1;
      const auto* bytes = static_cast<const uint8_t*>(v->data);
      for (size_t k = 0; bytes && k < n; ++k) {
        uint32_t c = 0;
        for (size_t b = 0; b < width; ++b) c |= uint32_t(bytes[k * width + b]) << (8 * b);
        node.text += c < 128 ? static_cast<char>(c) : '?';
      }
      break;
    }
    default: {
      MatVarInfo info = make_info(v);
      info.name = where;
      check_readable(where, info, UINT64_MAX);
      node.values = convert_var<float>(v, where).data;
    }
  }
  return node;
}

}  // namespace

const MatNode* MatNode::field(const std::string& name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return &v;
  return nullptr;
}

std::string MatNode::shape() const {
  std::ostringstream os;
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? "x" : "") << dims[i];
  return os.str();
}

MatNode MatReader::read_tree(const std::string& name, int max_depth) const {
  info(name);  // a missing name lists what the file holds
  const std::string where = "mat: '" + path_ + "' variable '" + name + "'";
  const size_t problems_before = problem_count();
  const Impl::Resolved r = impl_->resolve(path_, name, true);
  if (problem_count() != problems_before)
    throw InputError(where + " could not be read" + last_log() + "; the file is truncated or corrupt: copy or download it again");
  return to_tree(r.var, where, max_depth);
}

MatArray<double> MatReader::read_double(const std::string& name) const {
  return impl_->read_converted<double>(path_, name, info(name));
}

MatArray<float> MatReader::read_float(const std::string& name) const {
  return impl_->read_converted<float>(path_, name, info(name));
}

MatVarInfo MatReader::Impl::uint8_info(const std::string& path, const std::string& name, const MatVarInfo& i) const {
  if (i.cls != MatClass::kUInt8)
    throw InputError("mat: '" + path + "' variable '" + name + "' is of class " + mat_class_name(i.cls) +
                     "; pixels must be uint8 (save them with uint8(...) or declare the modality "
                     "as features)");
  check_readable("mat: '" + path + "' variable '" + name + "'", i, max_elements);
  return i;
}

// Hyperslabs are read only from v7.3 (HDF5) files: matio 1.5.23's v5 slab reader returns wrong
// bytes for arrays of rank > 2 (seen with a 3x4x2x5 uint8 array, compressed or not), and a
// compressed v5 variable would be inflated from its start for every slab anyway. v5 variables
// are under 2 GB by their format; they are read whole.
MatArray<uint8_t> MatReader::read_uint8(const std::string& name) const {
  const MatVarInfo i = impl_->uint8_info(path_, name, info(name));
  if (!slab_reads_are_cheap(name) || i.numel() == 0) return impl_->read_converted<uint8_t>(path_, name, i);
  return read_uint8_slab(name, 0, 0, i.dims[0]);
}

bool MatReader::slab_reads_are_cheap(const std::string& name) const {
  return name.find('.') == std::string::npos && Mat_GetVersion(impl_->mat) == MAT_FT_MAT73;
}

size_t MatReader::item_chunk(const std::string& name, size_t axis) const {
  const MatVarInfo i = info(name);
  if (!slab_reads_are_cheap(name) || axis >= i.dims.size()) return 0;
  const hid_t set = impl_->open_dataset(path_, name);
  const hid_t plist = set >= 0 ? H5Dget_create_plist(set) : H5I_INVALID_HID;
  size_t extent = 0;
  if (plist >= 0 && H5Pget_layout(plist) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(32, 0);
    const int rank = H5Pget_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
    // HDF5 lists MATLAB's axes in reverse (trailing singleton axes MATLAB dropped lead there).
    if (rank > static_cast<int>(axis)) extent = static_cast<size_t>(chunk[static_cast<size_t>(rank) - 1 - axis]);
  }
  if (plist >= 0) H5Pclose(plist);
  if (set >= 0) H5Dclose(set);
  return extent;
}

MatArray<uint8_t> MatReader::read_uint8_slab(const std::string& name, size_t axis, size_t first, size_t count) const {
  const MatVarInfo i = impl_->uint8_info(path_, name, info(name));
  const std::string where = "mat: '" + path_ + "' variable '" + name + "'";
  if (axis >= i.dims.size() || first + count > i.dims[axis] || count == 0)
    throw std::logic_error(where + ": slab " + std::to_string(first) + "+" + std::to_string(count) + " of axis " +
                           std::to_string(axis) + " outside " + i.shape());
  MatArray<uint8_t> out;
  out.dims = i.dims;
  out.dims[axis] = count;
  // Elements before the axis (inner), along it, and after it (outer), column-major.
  size_t inner = 1, outer = 1;
  for (size_t k = 0; k < axis; ++k) inner *= i.dims[k];
  for (size_t k = axis + 1; k < i.dims.size(); ++k) outer *= i.dims[k];
  if (!slab_reads_are_cheap(name)) {
    const MatArray<uint8_t> whole = impl_->read_converted<uint8_t>(path_, name, i);
    out.data.resize(inner * count * outer);
    for (size_t o = 0; o < outer; ++o)
      std::memcpy(out.data.data() + o * inner * count, whole.data.data() + (o * i.dims[axis] + first) * inner, inner * count);
    return out;
  }
  // HDF5 hyperslabs read through HDF5 itself (matio's Mat_VarReadData builds the selection from
  // stride and count with blocks of one element), each a single block.
  const hid_t set = impl_->open_dataset(path_, name);
  const hid_t space = set >= 0 ? H5Dget_space(set) : H5I_INVALID_HID;
  const int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  bool ok = rank >= static_cast<int>(i.dims.size()) && rank > 0;
  hid_t memory = H5I_INVALID_HID;
  if (ok) {
    // HDF5 lists MATLAB's axes in reverse; trailing singleton axes MATLAB dropped lead here.
    const size_t r = static_cast<size_t>(rank);
    std::vector<hsize_t> start(r, 0), block(r, 1), one(r, 1);
    for (size_t k = 0; k < i.dims.size(); ++k) {
      const size_t h = r - 1 - k;
      block[h] = out.dims[k];
      if (k == axis) start[h] = first;
    }
    memory = H5Screate_simple(rank, block.data(), nullptr);
    out.data.resize(inner * count * outer);
    // HDF5 keeps a few KB of selection bookkeeping for every chunk one read touches: reading
    // matio's IAll (1-pixel chunks) in one call cost 8 GB beside the 3 GB array. So the block is
    // cut, along the axes with the most chunks, into pieces of whole chunks that touch at most
    // kChunksPerRead each, scattered straight into their place in `out`.
    constexpr hsize_t kChunksPerRead = 4096;
    std::vector<hsize_t> chunk(r, 0), piece = block;
    const hid_t plist = H5Dget_create_plist(set);
    if (plist >= 0 && H5Pget_layout(plist) == H5D_CHUNKED && H5Pget_chunk(plist, rank, chunk.data()) == rank) {
      auto along = [&](size_t k) { return (piece[k] + chunk[k] - 1) / chunk[k] + (start[k] % chunk[k] ? 1 : 0); };
      for (;;) {
        hsize_t total = 1;
        size_t widest = r;
        for (size_t k = 0; k < r; ++k) {
          total *= along(k);
          if (piece[k] > chunk[k] && (widest == r || along(k) > along(widest))) widest = k;
        }
        if (total <= kChunksPerRead || widest == r) break;
        const hsize_t keep = std::max<hsize_t>(1, along(widest) * kChunksPerRead / total);
        piece[widest] = std::min(piece[widest], std::max<hsize_t>(1, keep - (start[widest] % chunk[widest] ? 1 : 0)) * chunk[widest]);
      }
    }
    if (plist >= 0) H5Pclose(plist);
    // Every piece: an odometer over the pieces' offsets within the block.
    std::vector<hsize_t> at(r, 0), sub(r, 0);
    for (bool more = ok && memory >= 0; more && ok;) {
      std::vector<hsize_t> from(r);
      for (size_t k = 0; k < r; ++k) sub[k] = std::min(piece[k], block[k] - at[k]), from[k] = start[k] + at[k];
      ok = H5Sselect_hyperslab(space, H5S_SELECT_SET, from.data(), nullptr, one.data(), sub.data()) >= 0 &&
           H5Sselect_hyperslab(memory, H5S_SELECT_SET, at.data(), nullptr, one.data(), sub.data()) >= 0 &&
           H5Dread(set, H5T_NATIVE_UINT8, memory, space, H5P_DEFAULT, out.data.data()) >= 0;
      more = false;
      for (size_t k = r; k-- > 0;) {
        at[k] += piece[k];
        if (at[k] < block[k]) {
          more = true;
          break;
        }
        at[k] = 0;
      }
    }
    ok = ok && memory >= 0;
  }
  if (memory >= 0) H5Sclose(memory);
  if (space >= 0) H5Sclose(space);
  if (set >= 0) H5Dclose(set);
  if (!ok)
    throw InputError(where + " could not be read as an HDF5 dataset" + last_log() +
                     "; the file is truncated or corrupt: copy or download it again");
  return out;
}

struct MatWriter::Impl {
  mat_t* mat = nullptr;
  bool compress = true;
  bool v73 = false;
};

MatWriter::MatWriter(const std::string& path, bool v73, bool compress) : path_(path), impl_(std::make_unique<Impl>()) {
  impl_->compress = compress;
  impl_->v73 = v73;
  install_log_once();
  impl_->mat = Mat_CreateVer(path.c_str(), nullptr, v73 ? MAT_FT_MAT73 : MAT_FT_MAT5);
  if (!impl_->mat)
    throw InputError("mat: cannot create '" + path + "'" + last_log() +
                     "; check that the folder exists and is writable");
}

MatWriter::~MatWriter() {
  if (impl_ && impl_->mat) Mat_Close(impl_->mat);
}

namespace {
void write_var(mat_t* mat, bool compress, const std::string& path, const std::string& name,
               const std::vector<size_t>& dims, enum matio_classes cls, enum matio_types type,
               const void* data) {
  std::vector<size_t> d = dims;
  matvar_t* v = Mat_VarCreate(name.c_str(), cls, type, static_cast<int>(d.size()), d.data(),
                              const_cast<void*>(data), MAT_F_DONT_COPY_DATA);
  if (!v) throw InputError("mat: cannot create variable '" + name + "' in '" + path + "'" + last_log());
  const int rc = Mat_VarWrite(mat, v, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
  Mat_VarFree(v);
  if (rc != 0)
    throw InputError("mat: cannot write variable '" + name + "' to '" + path + "'" + last_log());
}
}  // namespace

void MatWriter::write(const std::string& name, const std::vector<size_t>& dims, const double* data) {
  write_var(impl_->mat, impl_->compress, path_, name, dims, MAT_C_DOUBLE, MAT_T_DOUBLE, data);
}
void MatWriter::write(const std::string& name, const std::vector<size_t>& dims, const float* data) {
  write_var(impl_->mat, impl_->compress, path_, name, dims, MAT_C_SINGLE, MAT_T_SINGLE, data);
}
void MatWriter::write(const std::string& name, const std::vector<size_t>& dims, const uint8_t* data) {
  if (!impl_->v73 || dims.size() < 3)
    return write_var(impl_->mat, impl_->compress, path_, name, dims, MAT_C_UINT8, MAT_T_UINT8, data);
  // A v7.3 picture array goes through HDF5 itself, one chunk per slice of its last axis (an item
  // of IAll), written a slab at a time. matio would chunk it as 2,048 items x 2 channels x 1 x 1
  // pixel: a million 4 KB chunks whose HDF5 bookkeeping doubled the peak (6.5 GB to write a 3 GB
  // IAll), and a file in which reading one item inflates the 2,048 around it. matio's handle is
  // closed meanwhile and reopened after, so the file stays one that matio and MATLAB read.
  if (Mat_Close(impl_->mat) != 0) {
    impl_->mat = nullptr;
    throw InputError("mat: cannot close '" + path_ + "' before writing '" + name + "'" + last_log());
  }
  impl_->mat = nullptr;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const int rank = static_cast<int>(dims.size());
  std::vector<hsize_t> h5dims(dims.rbegin(), dims.rend()), chunk = h5dims;  // HDF5 lists MATLAB's axes reversed
  chunk[0] = 1;
  size_t per_slice = 1;
  for (size_t k = 0; k + 1 < dims.size(); ++k) per_slice *= dims[k];
  const size_t slices = dims.back();
  bool ok = per_slice > 0 && slices > 0;
  hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t space = file >= 0 ? H5Screate_simple(rank, h5dims.data(), nullptr) : H5I_INVALID_HID;
  hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  if (ok) ok = H5Pset_chunk(create, rank, chunk.data()) >= 0 && (!impl_->compress || H5Pset_deflate(create, 1) >= 0);
  hid_t set = ok && space >= 0 ? H5Dcreate2(file, name.c_str(), H5T_STD_U8LE, space, H5P_DEFAULT, create, H5P_DEFAULT)
                               : H5I_INVALID_HID;
  // MATLAB's class attribute, as MATLAB and matio write it: a scalar fixed-length string.
  if (set >= 0) {
    const char* cls = "uint8";
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, std::strlen(cls));
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(set, "MATLAB_class", str, scalar, H5P_DEFAULT, H5P_DEFAULT);
    ok = attr >= 0 && H5Awrite(attr, str, cls) >= 0;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(scalar);
    H5Tclose(str);
  } else {
    ok = false;
  }
  const size_t slab = std::max<size_t>(1, (size_t(64) << 20) / per_slice);
  for (size_t first = 0; ok && first < slices; first += slab) {
    std::vector<hsize_t> start(static_cast<size_t>(rank), 0), count = h5dims;
    start[0] = first;
    count[0] = std::min(slab, slices - first);
    hid_t mem = H5Screate_simple(rank, count.data(), nullptr);
    ok = H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0 &&
         H5Dwrite(set, H5T_NATIVE_UINT8, mem, space, H5P_DEFAULT, data + first * per_slice) >= 0;
    H5Sclose(mem);
  }
  if (set >= 0) H5Dclose(set);
  H5Pclose(create);
  if (space >= 0) H5Sclose(space);
  if (file >= 0 && H5Fclose(file) < 0) ok = false;
  impl_->mat = Mat_Open(path_.c_str(), MAT_ACC_RDWR);
  if (!ok || !impl_->mat)
    throw InputError("mat: cannot write variable '" + name + "' to '" + path_ +
                     "' through HDF5 (a full disk, or a name already used?)" + last_log());
}
void MatWriter::write(const std::string& name, const std::vector<size_t>& dims, const int32_t* data) {
  write_var(impl_->mat, impl_->compress, path_, name, dims, MAT_C_INT32, MAT_T_INT32, data);
}

void MatWriter::write_text(const std::string& name, const std::string& text) {
  write_var(impl_->mat, impl_->compress, path_, name, {1, text.size()}, MAT_C_CHAR, MAT_T_UINT8, text.data());
}

template <class T>
std::vector<T> to_row_major(const MatArray<T>& a, bool items_are_cols) {
  const size_t r = a.rows(), c = a.cols();
  std::vector<T> out(r * c);
  if (!items_are_cols) {
    for (size_t j = 0; j < c; ++j)
      for (size_t i = 0; i < r; ++i) out[i * c + j] = a.data[j * r + i];
  } else {
    out = a.data;  // column-major r×c read as row-major c×r: items (columns) become rows
  }
  return out;
}

template std::vector<double> to_row_major(const MatArray<double>&, bool);
template std::vector<float> to_row_major(const MatArray<float>&, bool);
template std::vector<uint8_t> to_row_major(const MatArray<uint8_t>&, bool);

}  // namespace cmh::io
