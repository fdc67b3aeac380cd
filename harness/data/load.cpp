// Loading a declared dataset from .mat files: reading, validation with errors that name the file,
// the variable and the fix, pixel reordering to NCHW, fixed splits and file fingerprints.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "common/error.h"
#include "common/paths.h"
#include "data/dataset_checks.h"
#include "data/declaration.h"
#include "data/pixel_cache.h"
#include "data/pixel_reader.h"
#include "data/sha256.h"
#include "io/mat_file.h"

namespace cmh::data {
namespace fs = std::filesystem;
namespace {

using io::MatArray;
using io::MatClass;
using io::MatReader;
using io::MatVarInfo;

/// A block of items read from one variable (one split part), row-major items × values.
template <class T>
struct Part {
  std::vector<T> data;
  size_t rows = 0, cols = 0;
  std::string var;
};

class Loader {
 public:
  Loader(const DatasetDeclaration& decl, size_t pixel_slab_bytes)
      : decl_(decl), prefix_("data::load: " + decl.origin + ": "), pixel_slab_bytes_(pixel_slab_bytes) {}

  [[noreturn]] void fail(const std::string& section, const std::string& what) const {
    throw InputError(prefix_ + section + " " + what);
  }

  /// A missing file is reported with the folder that relative paths resolve against.
  void require_file(const std::string& path, const std::string& section) const {
    std::string why;
    if (!is_existing_file(path, &why))
      fail(section, "file '" + path + "' does not exist" + reason_suffix(why) + "; fix 'file' in the declaration " +
                        "(relative paths resolve against data_root = '" + decl_.data_root +
                        "') or point data_root at the folder that holds the data");
  }

  /// Opens a declared .mat file once, however many sections name it.
  const MatReader& open(const std::string& path, const std::string& section) {
    auto it = readers_.find(path);
    if (it != readers_.end()) return *it->second;
    require_file(path, section);
    try {
      auto reader = std::make_unique<MatReader>(path);
      return *readers_.emplace(path, std::move(reader)).first->second;
    } catch (const InputError& e) {
      fail(section, e.what());
    }
  }

  MatVarInfo info(const MatReader& r, const std::string& var, const std::string& section) const {
    try {
      return r.info(var);
    } catch (const InputError& e) {
      fail(section, e.what());
    }
  }

  std::string where(const MatReader& r, const std::string& var) const {
    return "'" + r.path() + "' variable '" + var + "'";
  }

  void check_numeric(const MatReader& r, const MatVarInfo& i, const std::string& section,
                     const char* needed) const {
    if (i.complex) fail(section, where(r, i.name) + " is complex; " + needed + " must be real");
    if (i.cls == MatClass::kChar || i.cls == MatClass::kCell || i.cls == MatClass::kStruct ||
        i.cls == MatClass::kOther)
      fail(section, where(r, i.name) + " is of class " + io::mat_class_name(i.cls) + "; " + needed +
                        " must be a numeric or logical array: name another variable." + io::struct_hint(i));
    if (i.numel() == 0)
      fail(section, where(r, i.name) + " is empty (" + i.shape() +
                        "); name the variable that holds the data");
  }

  Part<float> read_features(const MatReader& r, const std::string& var, ItemLayout layout,
                            const std::string& section) const {
    const MatVarInfo i = info(r, var, section);
    check_numeric(r, i, section, "features");
    if (i.dims.size() != 2)
      fail(section, where(r, var) + " has shape " + i.shape() +
                        "; features must be a 2-D matrix (for images declare kind = \"pixels\")");
    Part<float> p;
    p.var = var;
    {
      MatArray<float> a = r.read_float(var);
      p.data = io::to_row_major(a, layout == ItemLayout::kCols);
      p.rows = layout == ItemLayout::kRows ? a.rows() : a.cols();
      p.cols = layout == ItemLayout::kRows ? a.cols() : a.rows();
    }
    for (size_t k = 0; k < p.data.size(); ++k)
      if (!std::isfinite(p.data[k]))
        fail(section, where(r, var) + " holds " + std::to_string(p.data[k]) + " at item " +
                          std::to_string(k / p.cols) + ", feature " + std::to_string(k % p.cols) +
                          " (NaN, Inf or beyond float range); clean the data (e.g. replace "
                          "NaN/Inf by 0) before use");
    return p;
  }

  Part<uint8_t> read_multi_hot(const MatReader& r, const std::string& var, ItemLayout layout,
                               const std::string& section) const {
    const MatVarInfo i = info(r, var, section);
    check_numeric(r, i, section, "labels");
    if (i.dims.size() != 2)
      fail(section, where(r, var) + " has shape " + i.shape() + "; labels must be a 2-D matrix");
    const MatArray<double> a = r.read_double(var);
    const std::vector<double> rm = io::to_row_major(a, layout == ItemLayout::kCols);
    Part<uint8_t> p;
    p.var = var;
    p.rows = layout == ItemLayout::kRows ? a.rows() : a.cols();
    p.cols = layout == ItemLayout::kRows ? a.cols() : a.rows();
    p.data.resize(rm.size());
    for (size_t k = 0; k < rm.size(); ++k) {
      if (rm[k] != 0.0 && rm[k] != 1.0) {
        std::ostringstream os;
        os << where(r, var) << " holds " << rm[k] << " at item " << k / p.cols << ", label "
           << k % p.cols
           << "; multi_hot labels must be 0/1 (for one class number per item declare encoding = "
              "\"class_index\"; check layout = \"rows\"/\"cols\")";
        fail(section, os.str());
      }
      p.data[k] = rm[k] != 0.0;
    }
    return p;
  }

  /// Class numbers (minus index_base) as a 1-column part.
  Part<int64_t> read_class_index(const MatReader& r, const std::string& var,
                                 const LabelsDeclaration& ld, const std::string& section) const {
    const MatVarInfo i = info(r, var, section);
    check_numeric(r, i, section, "labels");
    if (i.dims.size() != 2 || (i.dims[0] != 1 && i.dims[1] != 1))
      fail(section, where(r, var) + " has shape " + i.shape() +
                        "; encoding = \"class_index\" needs a vector of class numbers (for an "
                        "N×L 0/1 matrix declare encoding = \"multi_hot\")");
    const MatArray<double> a = r.read_double(var);
    Part<int64_t> p;
    p.var = var;
    p.rows = a.data.size();
    p.cols = 1;
    for (size_t k = 0; k < a.data.size(); ++k) {
      const double v = a.data[k];
      const double c = v - ld.index_base;
      if (!std::isfinite(v) || v != std::floor(v) || c < 0 ||
          (ld.num_classes > 0 && c >= double(ld.num_classes))) {
        std::ostringstream os;
        os << where(r, var) << " holds " << v << " at item " << k << ", not a class number in ["
           << ld.index_base << ", "
           << (ld.num_classes > 0 ? std::to_string(ld.num_classes - 1 + ld.index_base) : "…")
           << "]; check index_base (0 or 1) and num_classes";
        fail(section, os.str());
      }
      p.data.push_back(static_cast<int64_t>(c));
    }
    return p;
  }

  /// uint8 pixels in any declared axis order, returned as NCHW; read once as uint8 and reordered
  /// once, so a 3 GB image array never exists as float.
  Part<uint8_t> read_pixels(const MatReader& r, const std::string& var,
                            const ModalityDeclaration& md, const std::string& section,
                            size_t shape[3], bool hold) const {
    const MatVarInfo i = info(r, var, section);
    if (i.cls != MatClass::kUInt8 || i.logical)
      fail(section, where(r, var) + " is of class " +
                        (i.logical ? std::string("logical") : io::mat_class_name(i.cls)) +
                        "; pixels must be uint8 (0..255): save them with uint8(...) or declare "
                        "kind = \"features\"");
    if (i.numel() == 0) fail(section, where(r, var) + " is empty (" + i.shape() + ")");
    if (i.dims.size() > 4)
      fail(section,
           where(r, var) + " has shape " + i.shape() + "; pixels need 4 axes (n, c, h, w)");
    const PixelAxes axes = pixel_axes(i.dims, md.pixel_layout);
    const size_t n = axes.size[0], c = axes.size[1], h = axes.size[2], w = axes.size[3];
    if (c != 1 && c != 3)
      fail(section, where(r, var) + " has MATLAB size " + i.shape() + ", which pixel_layout = \"" +
                        md.pixel_layout + "\" reads as " + std::to_string(c) +
                        " channels; images have 1 or 3: fix pixel_layout (MATLAB size() order)");
    Part<uint8_t> p;
    p.var = var;
    p.rows = n;
    p.cols = c * h * w;
    shape[0] = c, shape[1] = h, shape[2] = w;
    if (!hold) return p;  // checked only: the items go to a pixel cache
    if (md.pixel_layout == "whcn") {  // column-major w,h,c,n is already row-major NCHW
      p.data = r.read_uint8(var).data;  // read straight into its buffer: the array's size, once
      return p;
    }
    // Any other order is reordered into the NCHW buffer a slab of items at a time (pixel_slab_bytes_),
    // so the peak is the array plus one slab, not two arrays (v7.3 files; a v5 variable, under
    // 2 GB by its format, is read whole: MatReader::read_uint8_slab says why).
    const size_t per_item = c * h * w;
    const bool slabs = r.slab_reads_are_cheap(var) && axes.item_axis < i.dims.size();
    // Whole HDF5 chunks per slab, or every chunk would be inflated once per slab it straddles.
    const size_t chunk = slabs ? r.item_chunk(var, axes.item_axis) : 0;
    size_t slab = slabs ? std::max<size_t>(1, pixel_slab_bytes_ / per_item) : n;
    if (chunk > 0) slab = std::max<size_t>(1, slab / chunk) * chunk;
    p.data.resize(n * per_item);
    for (size_t first = 0; first < n; first += slab) {
      const size_t count = std::min(slab, n - first);
      slab_to_nchw(slabs ? r.read_uint8_slab(var, axes.item_axis, first, count) : r.read_uint8(var), axes, count,
                   p.data.data() + first * per_item);
    }
    return p;
  }

  Dataset load();

 private:
  /// Each input file's size and SHA-256, computed once (a pixel cache is verified by it too).
  const FileFingerprint& fingerprint(const std::string& path) {
    auto it = fingerprints_.find(path);
    if (it == fingerprints_.end()) it = fingerprints_.emplace(path, fingerprint_file(path)).first;
    return it->second;
  }

  /// Whether a pixel modality goes to a cache: asked for, or large under "auto".
  bool use_cache(const MatReader& r, const ModalityDeclaration& md, const std::string& section) const {
    if (md.pixel_store != PixelStore::kAuto) return md.pixel_store == PixelStore::kCache;
    uint64_t bytes = 0;
    for (const auto& v : md.variables) bytes += info(r, v, section).numel();
    return bytes >= kHoldPixelsBelow;
  }

  const DatasetDeclaration& decl_;
  std::map<std::string, FileFingerprint> fingerprints_;
  std::string prefix_;
  size_t pixel_slab_bytes_;
  std::map<std::string, std::unique_ptr<MatReader>> readers_;
};

template <class T>
std::vector<T> concat(std::vector<Part<T>>& parts) {
  if (parts.size() == 1) return std::move(parts[0].data);
  std::vector<T> out;
  for (auto& p : parts) out.insert(out.end(), p.data.begin(), p.data.end());
  return out;
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

std::string source_of(const std::string& file, const std::vector<std::string>& vars) {
  std::string s = file_name(file) + ":";
  for (size_t i = 0; i < vars.size(); ++i) s += (i ? "+" : "") + vars[i];
  return s;
}

/// Integer indices from a text file (whitespace separated, '#' starts a comment).
std::vector<int64_t> read_index_text(const std::string& path, const std::string& where) {
  std::ifstream in(path);
  if (!in) throw InputError(where + "cannot open index file '" + path + "'");
  std::vector<int64_t> out;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::istringstream is(line);
    std::string tok;
    while (is >> tok) {
      size_t used = 0;
      long long v = 0;
      try {
        v = std::stoll(tok, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != tok.size())
        throw InputError(where + "index file '" + path + "' line " + std::to_string(line_no) +
                         ": '" + tok + "' is not an integer index");
      out.push_back(v);
    }
  }
  return out;
}

Dataset Loader::load() {
  const LabelsDeclaration& ld = *decl_.labels;
  const ModalityDeclaration& td = *decl_.text;
  const SplitDeclaration* split = decl_.split ? &*decl_.split : nullptr;
  const bool by_parts = split && !split->parts.empty();

  // Every declared file must exist before anything is read: a missing 3 GB image file should not
  // be reported only after the labels and the text have been loaded.
  require_file(ld.file, "[labels]");
  require_file(td.file, "[text]");
  if (decl_.image) require_file(decl_.image->file, "[image]");
  if (split)
    for (const auto* f : {&split->query_file, &split->train_file, &split->database_file})
      if (*f) require_file((*f)->file, "[split]");

  Dataset d;
  d.name = decl_.name;

  // Labels.
  const MatReader& lr = open(ld.file, "[labels]");
  std::vector<size_t> part_rows;  // items per split part, from the labels
  if (ld.encoding == LabelEncoding::kMultiHot) {
    std::vector<Part<uint8_t>> parts;
    for (const auto& v : ld.variables)
      parts.push_back(read_multi_hot(lr, v, ld.layout, "[labels]"));
    for (size_t k = 1; k < parts.size(); ++k)
      if (parts[k].cols != parts[0].cols)
        fail("[labels]", where(lr, parts[k].var) + " has " + std::to_string(parts[k].cols) +
                             " labels but '" + parts[0].var + "' has " +
                             std::to_string(parts[0].cols) + "; all parts need the same labels");
    for (const auto& p : parts) part_rows.push_back(p.rows);
    d.num_labels = parts[0].cols;
    d.labels = concat(parts);
  } else {
    std::vector<Part<int64_t>> parts;
    for (const auto& v : ld.variables) parts.push_back(read_class_index(lr, v, ld, "[labels]"));
    for (const auto& p : parts) part_rows.push_back(p.rows);
    const std::vector<int64_t> cls = concat(parts);
    d.num_labels = ld.num_classes;
    if (d.num_labels == 0)
      d.num_labels = static_cast<size_t>(*std::max_element(cls.begin(), cls.end())) + 1;
    d.labels.assign(cls.size() * d.num_labels, 0);
    for (size_t i = 0; i < cls.size(); ++i) d.labels[i * d.num_labels + size_t(cls[i])] = 1;
  }
  for (size_t r : part_rows) d.n += r;

  auto check_rows = [&](const char* section, const std::string& file,
                        const std::vector<std::string>& vars, const std::vector<size_t>& rows) {
    for (size_t k = 0; k < rows.size(); ++k)
      if (rows[k] != part_rows[k])
        fail(section, "'" + file + "' variable '" + vars[k] + "' has " + std::to_string(rows[k]) +
                          " items but the labels ('" + ld.file + "' variable '" + ld.variables[k] +
                          "') have " + std::to_string(part_rows[k]) +
                          "; modalities and labels must list the same items in the same order "
                          "(check layout = \"rows\"/\"cols\" and the variable names)");
  };

  // Features or pixels of one modality.
  auto load_modality = [&](const ModalityDeclaration& md, const char* section, Modality& m) {
    const MatReader& r = open(md.file, section);
    std::vector<size_t> rows;
    m.kind = md.kind;
    m.source = source_of(md.file, md.variables);
    if (drawn_by_synth(md.file, md.variables)) {
      m.synthetic = true;
      m.source += " (drawn by cmhbench data synth)";
    }
    if (md.kind == ModalityKind::kFeatures) {
      std::vector<Part<float>> parts;
      for (const auto& v : md.variables) parts.push_back(read_features(r, v, md.layout, section));
      for (size_t k = 1; k < parts.size(); ++k)
        if (parts[k].cols != parts[0].cols)
          fail(section, where(r, parts[k].var) + " has dimension " + std::to_string(parts[k].cols) +
                            " but '" + parts[0].var + "' has " + std::to_string(parts[0].cols) +
                            "; all parts need the same features");
      for (const auto& p : parts) rows.push_back(p.rows);
      check_rows(section, md.file, md.variables, rows);
      m.dim = parts[0].cols;
      m.features = concat(parts);
    } else {
      if (md.variables.size() == 1) {
        m.stored_file = md.file;
        m.stored_variable = md.variables.front();
        m.stored_pixel_layout = md.pixel_layout;
      }
      std::vector<Part<uint8_t>> parts;
      size_t shape0[3] = {};
      const bool cache = use_cache(r, md, section);
      for (const auto& v : md.variables) {
        size_t shape[3];
        parts.push_back(read_pixels(r, v, md, section, shape, !cache));
        if (parts.size() == 1)
          std::copy(shape, shape + 3, shape0);
        else if (!std::equal(shape, shape + 3, shape0))
          fail(section, where(r, v) + " holds images of another size than '" + parts[0].var + "'");
        rows.push_back(parts.back().rows);
        check_rows(section, md.file, md.variables, rows);
      }
      m.channels = shape0[0], m.height = shape0[1], m.width = shape0[2];
      if (cache) {
        const std::string dir = md.cache_dir.empty() ? default_pixel_cache_dir(md.file) : md.cache_dir;
        try {
          m.pixel_cache = PixelCache::open_or_make(md, fingerprint(md.file).sha256, dir, pixel_slab_bytes_, &std::cerr);
        } catch (const InputError& e) {
          fail(section, e.what());
        }
        m.source += " (per batch from " + fs::path(m.pixel_cache->path()).filename().string() + ")";
      } else {
        m.pixels = concat(parts);
      }
    }
    m.n = d.n;
  };
  load_modality(td, "[text]", d.text);
  if (decl_.image) load_modality(*decl_.image, "[image]", d.image);

  // Fixed split.
  std::vector<std::string> files = {ld.file, td.file};
  if (decl_.image) files.push_back(decl_.image->file);
  if (by_parts) {
    std::vector<size_t> offset(part_rows.size() + 1, 0);
    for (size_t k = 0; k < part_rows.size(); ++k) offset[k + 1] = offset[k] + part_rows[k];
    auto gather = [&](const std::vector<std::string>& names) {
      std::vector<int64_t> out;
      for (const auto& name : names) {
        const size_t k = static_cast<size_t>(
            std::find(split->parts.begin(), split->parts.end(), name) - split->parts.begin());
        for (size_t i = offset[k]; i < offset[k + 1]; ++i) out.push_back(int64_t(i));
      }
      return out;
    };
    d.fixed_split = FixedSplit{gather(split->query_parts), gather(split->train_parts),
                               gather(split->database_parts)};
  } else if (split) {
    auto read_set = [&](const IndexFileDeclaration& f, const char* which) {
      const std::string section = std::string("[split] ") + which;
      std::vector<int64_t> idx;
      if (f.variable.empty()) {
        idx = read_index_text(f.file, prefix_ + section + ": ");
      } else {
        const MatReader& r = open(f.file, section);
        const MatVarInfo i = info(r, f.variable, section);
        check_numeric(r, i, section, "split indices");
        if (i.dims.size() != 2 || (i.dims[0] != 1 && i.dims[1] != 1))
          fail(section, where(r, f.variable) + " has shape " + i.shape() +
                            "; split indices must be a vector");
        for (double v : r.read_double(f.variable).data) {
          if (!std::isfinite(v) || v != std::floor(v))
            fail(section,
                 where(r, f.variable) + " holds " + std::to_string(v) + ", not an integer index");
          idx.push_back(static_cast<int64_t>(v));
        }
      }
      for (int64_t& v : idx) v -= split->index_base;
      files.push_back(f.file);
      return idx;
    };
    FixedSplit fixed;
    fixed.query = read_set(*split->query_file, "query");
    fixed.train = read_set(*split->train_file, "train");
    if (split->database_file) {
      fixed.database = read_set(*split->database_file, "database");
    } else {
      std::vector<uint8_t> in_query(d.n, 0);
      for (int64_t q : fixed.query)
        if (q >= 0 && size_t(q) < d.n) in_query[size_t(q)] = 1;
      for (size_t i = 0; i < d.n; ++i)
        if (!in_query[i]) fixed.database.push_back(int64_t(i));
    }
    d.fixed_split = std::move(fixed);
  }
  if (d.fixed_split)
    validate_split(Split{d.fixed_split->query, d.fixed_split->train, d.fixed_split->database}, d.n,
                   prefix_ + "[split]");
  else if (decl_.protocol && decl_.protocol->query + decl_.protocol->train > d.n)
    fail("[protocol]", "asks for " + std::to_string(decl_.protocol->query) + " query + " +
                           std::to_string(decl_.protocol->train) +
                           " train items but the data "
                           "hold " +
                           std::to_string(d.n) + "; lower query/train");

  if (decl_.synthetic_images)
    add_synthetic_images(d, decl_.synthetic_images->seed, decl_.synthetic_images->params);

  std::vector<std::string> seen;
  for (const auto& f : files) {
    if (std::find(seen.begin(), seen.end(), f) != seen.end()) continue;
    seen.push_back(f);
    d.fingerprints.push_back(fingerprint(f));
  }
  validate_dataset(d, "data::load: " + decl_.origin);
  return d;
}

}  // namespace

Dataset load_dataset(const DatasetDeclaration& decl, size_t pixel_slab_bytes) {
  if (decl.synthetic) {
    Dataset d = generate_synthetic(*decl.synthetic);
    d.name =
        decl.name.find("synthetic") == std::string::npos ? decl.name + " (synthetic)" : decl.name;
    if (decl.protocol && decl.protocol->query + decl.protocol->train > d.n)
      throw InputError("data::load: " + decl.origin + ": [protocol] asks for " +
                       std::to_string(decl.protocol->query) + " query + " +
                       std::to_string(decl.protocol->train) + " train items but [synthetic] n = " +
                       std::to_string(d.n) + "; lower query/train or raise n");
    validate_dataset(d, "data::load: " + decl.origin);
    return d;
  }
  if (!decl.labels || !decl.text)
    throw InputError("data::load: " + decl.origin +
                     ": the declaration has no [labels] or [text]; parse it with "
                     "parse_declaration, which checks this");
  return Loader(decl, pixel_slab_bytes).load();
}

}  // namespace cmh::data
