// Parsing dataset declarations (TOML via toml++) into DatasetDeclaration, with every key checked.
#include "data/declaration.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

#include "common/error.h"
#include "common/paths.h"

namespace cmh::data {
namespace fs = std::filesystem;
namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

/// One TOML table of a declaration with its set of valid keys; every accessor checks the type and
/// names the key, the section and the declaration in its error.
class Section {
 public:
  Section(const toml::table& t, std::string where, std::string prefix,
          std::vector<std::string> valid)
      : t_(t), where_(std::move(where)), prefix_(std::move(prefix)), valid_(std::move(valid)) {
    for (auto&& [key, node] : t_) {
      (void)node;
      const std::string k(key.str());
      bool ok = false;
      for (const auto& v : valid_) ok = ok || v == k;
      if (!ok) fail("unknown key '" + k + "'; valid keys: " + join(valid_));
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(prefix_ + where_ + ": " + what);
  }

  bool has(const char* key) const { return t_.contains(key); }

  std::optional<std::string> string(const char* key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail("key '" + std::string(key) + "' must be a string");
    return n->value<std::string>();
  }

  std::string required_string(const char* key, const std::string& hint) const {
    auto s = string(key);
    if (!s || s->empty()) fail("key '" + std::string(key) + "' is required (" + hint + ")");
    return *s;
  }

  std::optional<int64_t> integer(const char* key, int64_t lo, int64_t hi) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail("key '" + std::string(key) + "' must be an integer");
    const int64_t v = *n->value<int64_t>();
    if (v < lo || v > hi)
      fail("key '" + std::string(key) + "' = " + std::to_string(v) + " is outside [" +
           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }

  std::optional<double> number(const char* key, double lo, double hi) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_number()) fail("key '" + std::string(key) + "' must be a number");
    const double v = *n->value<double>();
    if (!(v >= lo && v <= hi))
      fail("key '" + std::string(key) + "' = " + std::to_string(v) + " is outside [" +
           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }

  /// A string or an array of strings; empty when absent.
  std::vector<std::string> strings(const char* key) const {
    const toml::node* n = t_.get(key);
    std::vector<std::string> out;
    if (!n) return out;
    if (n->is_string()) {
      out.push_back(*n->value<std::string>());
      return out;
    }
    const toml::array* a = n->as_array();
    if (!a) fail("key '" + std::string(key) + "' must be a string or an array of strings");
    for (const toml::node& e : *a) {
      if (!e.is_string()) fail("key '" + std::string(key) + "' must hold only strings");
      out.push_back(*e.value<std::string>());
    }
    return out;
  }

  /// One of `choices` (the key's value); `fallback` when absent.
  std::string choice(const char* key, const std::vector<std::string>& choices,
                     const std::string& fallback) const {
    auto s = string(key);
    if (!s) return fallback;
    for (const auto& c : choices)
      if (*s == c) return c;
    fail("key '" + std::string(key) + "' = \"" + *s + "\" is not valid; valid: " + join(choices));
  }

  const toml::table* table(const char* key) const {
    const toml::node* n = t_.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail("key '" + std::string(key) + "' must be a table");
    return n->as_table();
  }

  const toml::node* node(const char* key) const { return t_.get(key); }
  const std::string& prefix() const { return prefix_; }

 private:
  const toml::table& t_;
  std::string where_, prefix_;
  std::vector<std::string> valid_;
};

struct Paths {
  fs::path root;  // absolute folder relative files are joined to
  std::string resolve(const std::string& file) const {
    fs::path p(file);
    return (p.is_absolute() ? p : root / p).lexically_normal().string();
  }
};

ItemLayout parse_layout(const Section& s) {
  return s.choice("layout", {"rows", "cols"}, "rows") == "rows" ? ItemLayout::kRows
                                                                : ItemLayout::kCols;
}

std::vector<std::string> parse_variables(const Section& s, const SplitDeclaration* split) {
  std::vector<std::string> vars = s.strings("variable");
  if (vars.empty()) s.fail("key 'variable' is required (the variable name inside the .mat file)");
  for (const auto& v : vars)
    if (v.empty()) s.fail("key 'variable' holds an empty name");
  const size_t parts = split && !split->parts.empty() ? split->parts.size() : 1;
  if (vars.size() != parts) {
    if (parts > 1)
      s.fail("key 'variable' names " + std::to_string(vars.size()) +
             " variable(s) but [split] parts = [" + join(split->parts) +
             "] needs one per part, in that order");
    s.fail("key 'variable' names " + std::to_string(vars.size()) +
           " variables; give one (several only with [split] parts)");
  }
  return vars;
}

bool is_pixel_layout(const std::string& s) {
  if (s.size() != 4) return false;
  std::string sorted = s;
  std::sort(sorted.begin(), sorted.end());
  return sorted == "chnw" && (s.front() == 'n' || s.back() == 'n');
}

LabelsDeclaration parse_labels(const Section& s, const Paths& paths,
                               const SplitDeclaration* split) {
  LabelsDeclaration d;
  d.file = paths.resolve(s.required_string("file", "the .mat file holding the labels"));
  d.variables = parse_variables(s, split);
  d.layout = parse_layout(s);
  d.encoding = s.choice("encoding", {"multi_hot", "class_index"}, "multi_hot") == "multi_hot"
                   ? LabelEncoding::kMultiHot
                   : LabelEncoding::kClassIndex;
  const auto base = s.integer("index_base", 0, 1);
  const auto classes = s.integer("num_classes", 1, 1 << 20);
  if (d.encoding == LabelEncoding::kClassIndex) {
    if (!base)
      s.fail(
          "encoding = \"class_index\" needs index_base = 1 (MATLAB-style class numbers 1..C) "
          "or index_base = 0 (0..C-1)");
    d.index_base = static_cast<int>(*base);
    if (classes) d.num_classes = static_cast<size_t>(*classes);
  } else if (base || classes) {
    s.fail("index_base and num_classes apply only to encoding = \"class_index\"");
  }
  return d;
}

ModalityDeclaration parse_modality(const Section& s, const Paths& paths,
                                   const SplitDeclaration* split) {
  ModalityDeclaration d;
  d.file = paths.resolve(s.required_string("file", "the .mat file holding this modality"));
  d.variables = parse_variables(s, split);
  d.kind = s.choice("kind", {"features", "pixels"}, "features") == "features"
               ? ModalityKind::kFeatures
               : ModalityKind::kPixels;
  if (d.kind == ModalityKind::kFeatures) {
    for (const char* key : {"pixel_layout", "pixel_store", "cache_dir"})
      if (s.has(key)) s.fail(std::string(key) + " applies only to kind = \"pixels\"");
    d.layout = parse_layout(s);
    return d;
  }
  d.pixel_layout = s.required_string(
      "pixel_layout",
      "the axes in MATLAB size() order, e.g. \"hwcn\" for DCMH's IAll, which h5py shows as "
      "(N, 3, W, H)");
  if (!is_pixel_layout(d.pixel_layout))
    s.fail("pixel_layout = \"" + d.pixel_layout +
           "\" is not valid; give the letters n, c, h, w once each, in MATLAB size() order, with n "
           "first or last (e.g. \"nchw\", \"nhwc\", \"hwcn\", \"whcn\")");
  d.layout = d.pixel_layout.front() == 'n' ? ItemLayout::kRows : ItemLayout::kCols;
  if (s.has("layout") && parse_layout(s) != d.layout)
    s.fail("layout disagrees with pixel_layout = \"" + d.pixel_layout +
           "\" (n first = rows, n last = cols); drop layout or make them agree");
  const std::string store = s.choice("pixel_store", {"auto", "memory", "cache"}, "auto");
  d.pixel_store = store == "memory" ? PixelStore::kMemory : store == "cache" ? PixelStore::kCache : PixelStore::kAuto;
  if (s.has("cache_dir")) d.cache_dir = paths.resolve(s.required_string("cache_dir", "a folder for the pixel cache"));
  return d;
}

std::optional<IndexFileDeclaration> parse_index_file(const Section& s, const char* key,
                                                     const Paths& paths) {
  const toml::node* n = s.node(key);
  if (!n) return std::nullopt;
  IndexFileDeclaration f;
  if (n->is_string()) {
    f.file = paths.resolve(*n->value<std::string>());
  } else if (const toml::table* t = n->as_table()) {
    Section sub(*t, "[split." + std::string(key) + "]", s.prefix(), {"file", "variable"});
    f.file = paths.resolve(sub.required_string("file", "a text or .mat file of item indices"));
    f.variable = sub.string("variable").value_or("");
  } else {
    s.fail("key '" + std::string(key) +
           "' must be a file name or a table {file = \"…\", variable = \"…\"}");
  }
  const bool is_mat = fs::path(f.file).extension() == ".mat";
  if (is_mat && f.variable.empty())
    s.fail("split index file '" + f.file + "' is a .mat file: name its variable, e.g. " + key +
           " = { file = \"…\", variable = \"…\" }");
  if (!is_mat && !f.variable.empty())
    s.fail("split index file '" + f.file + "' is a text file; 'variable' applies only to .mat");
  return f;
}

SplitDeclaration parse_split(const Section& s, const Paths& paths) {
  SplitDeclaration d;
  d.parts = s.strings("parts");
  if (!d.parts.empty()) {
    for (size_t i = 0; i < d.parts.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (d.parts[i] == d.parts[j]) s.fail("part '" + d.parts[i] + "' is named twice in parts");
    if (s.has("index_base")) s.fail("index_base applies only to index-file splits");
    auto names = [&](const char* key, bool required) {
      std::vector<std::string> v = s.strings(key);
      if (v.empty() && required)
        s.fail("key '" + std::string(key) + "' is required: the part(s) forming that set, from [" +
               join(d.parts) + "]");
      for (const auto& x : v) {
        bool ok = false;
        for (const auto& p : d.parts) ok = ok || p == x;
        if (!ok)
          s.fail("key '" + std::string(key) + "' names part '" + x +
                 "'; valid parts: " + join(d.parts));
      }
      return v;
    };
    d.query_parts = names("query", true);
    d.train_parts = names("train", true);
    d.database_parts = names("database", true);
    return d;
  }
  d.query_file = parse_index_file(s, "query", paths);
  d.train_file = parse_index_file(s, "train", paths);
  d.database_file = parse_index_file(s, "database", paths);
  if (!d.query_file || !d.train_file)
    s.fail(
        "declare either parts = [...] with query/train/database part names, or index files: "
        "query and train (and optionally database; default = all non-query items)");
  const auto base = s.integer("index_base", 0, 1);
  if (!base)
    s.fail("index files need index_base = 0 (indices start at 0) or 1 (MATLAB-style, from 1)");
  d.index_base = static_cast<int>(*base);
  return d;
}

void parse_image_params(const Section& s, SyntheticImageParams& p, const char* kind_key,
                        const char* dim_key, const char* size_key, const char* noise_key) {
  if (auto k = s.string(kind_key)) p.kind = parse_synthetic_image_kind(*k, s.prefix() + kind_key);
  if (auto v = s.integer(dim_key, 1, 65536)) p.dim = static_cast<size_t>(*v);
  if (auto v = s.integer(size_key, 16, 512)) p.size = static_cast<size_t>(*v);
  if (auto v = s.number(noise_key, 0.0, 1.0)) p.noise = *v;
}

SyntheticParams parse_synthetic(const Section& s) {
  SyntheticParams p;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (auto v = s.integer("seed", 0, kMax)) p.seed = static_cast<uint64_t>(*v);
  if (auto v = s.integer("n", 1, 100'000'000)) p.n = static_cast<size_t>(*v);
  if (auto v = s.integer("num_labels", 2, 4096)) p.num_labels = static_cast<size_t>(*v);
  if (auto v = s.integer("num_scenes", 1, 4096)) p.num_scenes = static_cast<size_t>(*v);
  if (auto v = s.number("mean_labels", 1.0, 2048.0)) p.mean_labels = *v;
  if (auto v = s.integer("tag_dim", 1, 1'000'000)) p.tag_dim = static_cast<size_t>(*v);
  if (auto v = s.number("mean_tags", 1.0, 500'000.0)) p.mean_tags = *v;
  if (auto v = s.number("text_noise", 0.0, 1.0)) p.text_noise = *v;
  parse_image_params(s, p.image, "image", "image_dim", "image_size", "image_noise");
  return p;
}

}  // namespace

DatasetDeclaration parse_declaration(const toml::table& table, const DeclarationContext& ctx) {
  DatasetDeclaration d;
  d.origin = ctx.origin.empty() ? "<embedded>" : ctx.origin;
  const std::string prefix = "data::declaration: " + d.origin + ": ";
  const Section top(table, "top level", prefix,
                    {"name", "description", "data_root", "labels", "image", "text", "split",
                     "protocol", "synthetic_images", "synthetic"});
  d.name = top.required_string("name", "the dataset's name, e.g. \"mirflickr25k\"");
  d.description = top.string("description").value_or("");

  const fs::path base = fs::absolute(ctx.base_dir.empty() ? fs::path(".") : fs::path(ctx.base_dir));
  Paths paths{base};
  if (!ctx.data_root.empty()) {
    paths.root = fs::absolute(ctx.data_root);
  } else if (auto root = top.string("data_root")) {
    fs::path r(*root);
    paths.root = r.is_absolute() ? r : base / r;
  }
  paths.root = paths.root.lexically_normal();
  d.data_root = paths.root.string();

  if (const toml::table* t = top.table("synthetic")) {
    for (const char* k : {"labels", "image", "text", "split", "synthetic_images"})
      if (top.has(k))
        top.fail("a [synthetic] dataset reads no files; remove '" + std::string(k) + "'");
    d.synthetic = parse_synthetic(
        Section(*t, "[synthetic]", prefix,
                {"seed", "n", "num_labels", "num_scenes", "mean_labels", "tag_dim", "mean_tags",
                 "text_noise", "image", "image_dim", "image_size", "image_noise"}));
  } else {
    if (const toml::table* t = top.table("split"))
      d.split = parse_split(
          Section(*t, "[split]", prefix, {"parts", "query", "train", "database", "index_base"}),
          paths);
    const SplitDeclaration* split = d.split ? &*d.split : nullptr;
    const toml::table* labels = top.table("labels");
    if (!labels) top.fail("[labels] is required (file, variable, layout, encoding)");
    d.labels = parse_labels(
        Section(*labels, "[labels]", prefix,
                {"file", "variable", "layout", "encoding", "index_base", "num_classes"}),
        paths, split);
    const std::vector<std::string> modality_keys = {"file", "variable", "layout", "kind",
                                                    "pixel_layout", "pixel_store", "cache_dir"};
    const toml::table* text = top.table("text");
    if (!text) top.fail("[text] is required (file, variable, layout)");
    d.text = parse_modality(Section(*text, "[text]", prefix, modality_keys), paths, split);
    if (const toml::table* image = top.table("image"))
      d.image = parse_modality(Section(*image, "[image]", prefix, modality_keys), paths, split);

    if (const toml::node* n = top.node("synthetic_images")) {
      if (n->is_boolean()) {
        if (*n->value<bool>()) d.synthetic_images = SyntheticImagesDeclaration{};
      } else if (const toml::table* t = n->as_table()) {
        SyntheticImagesDeclaration s;
        const Section sec(*t, "[synthetic_images]", prefix,
                          {"seed", "kind", "dim", "size", "noise"});
        if (auto v = sec.integer("seed", 0, std::numeric_limits<int64_t>::max()))
          s.seed = static_cast<uint64_t>(*v);
        parse_image_params(sec, s.params, "kind", "dim", "size", "noise");
        d.synthetic_images = s;
      } else {
        top.fail("synthetic_images must be true/false or a table {seed, kind, dim, size, noise}");
      }
    }
    if (d.image && d.synthetic_images)
      top.fail("declare either [image] or synthetic_images, not both");
    if (!d.image && !d.synthetic_images)
      top.fail(
          "[image] is required, or synthetic_images = true to derive synthetic image "
          "features from the real labels");
  }

  const toml::table* proto = top.table("protocol");
  if (d.split && proto)
    top.fail("[split] fixes the split, so [protocol] does not apply; remove one of them");
  if (!d.split) {
    std::optional<Protocol> p = default_protocol(d.name);
    if (proto) {
      const Section s(*proto, "[protocol]", prefix, {"seed", "query", "train"});
      const auto seed = s.integer("seed", 0, 0xffffffffLL);
      const auto query = s.integer("query", 1, std::numeric_limits<int64_t>::max());
      const auto train = s.integer("train", 1, std::numeric_limits<int64_t>::max());
      if (!p && !(seed && query && train))
        s.fail("dataset '" + d.name +
               "' has no default protocol, so [protocol] needs all of seed, query and train");
      Protocol merged = p.value_or(Protocol{});
      if (seed) merged.seed = static_cast<uint32_t>(*seed);
      if (query) merged.query = static_cast<size_t>(*query);
      if (train) merged.train = static_cast<size_t>(*train);
      p = merged;
    }
    if (!p)
      top.fail("dataset '" + d.name +
               "' has no default protocol: add [protocol] seed, query, train, or a [split]");
    d.protocol = p;
  }
  return d;
}

DatasetDeclaration parse_declaration_string(const std::string& toml_text,
                                            const DeclarationContext& ctx) {
  const std::string origin = ctx.origin.empty() ? "<embedded>" : ctx.origin;
  toml::table table;
  try {
    table = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "data::declaration: " << origin << ":" << e.source().begin.line << ":"
       << e.source().begin.column << ": invalid TOML: " << e.description();
    throw InputError(os.str());
  }
  return parse_declaration(table, ctx);
}

DatasetDeclaration parse_declaration_file(const std::string& path, const std::string& data_root) {
  std::string why;
  if (!is_existing_file(path, &why))
    throw InputError("data::declaration: '" + path + "' does not exist or is not a file" + reason_suffix(why) +
                     "; give the path of a dataset .toml "
                     "(see experiments/datasets/)");
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "data::declaration: " << path << ":" << e.source().begin.line << ":"
       << e.source().begin.column << ": invalid TOML: " << e.description();
    throw InputError(os.str());
  }
  DeclarationContext ctx;
  ctx.base_dir = fs::path(path).parent_path().string();
  ctx.data_root = data_root;
  ctx.origin = path;
  return parse_declaration(table, ctx);
}

Split make_split(const Dataset& d, const DatasetDeclaration& decl) {
  if (d.fixed_split) return make_split(d, Protocol{});
  if (!decl.protocol)
    throw InputError("data::make_split: dataset '" + d.name + "' (" + decl.origin +
                     ") has neither a fixed split nor a protocol; add [protocol] or [split]");
  return make_split(d, *decl.protocol);
}

}  // namespace cmh::data
