// `cmhbench data inspect DECLARATION.toml` and `cmhbench data synth --out FILE.mat`: look at a
// declared dataset before running on it, and write synthetic data in the DCMH .mat conventions.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/options.h"
#include "common/error.h"
#include "data/dataset_checks.h"
#include "data/declaration.h"
#include "data/split.h"
#include "data/synthetic.h"
#include "io/mat_file.h"

namespace cmh::cli {
namespace {

const char* kUsage =
    "usage: cmhbench data inspect DECLARATION.toml [--data-root DIR]\n"
    "       cmhbench data synth --out FILE.mat [--n N --seed S --image features|pixels ...]\n"
    "       cmhbench data synth --out FILE.mat --like DECLARATION.toml --image pixels --size 224 [--v73]\n"
    "(cmhbench data inspect --help, cmhbench data synth --help)";

std::string modality_line(const data::ModalitySummary& m) {
  std::ostringstream os;
  os << std::fixed;
  if (m.kind == data::ModalityKind::kFeatures)
    os << "features " << m.shape << ", " << std::setprecision(3) << m.nonzero_per_item
       << " non-zero per item (density " << std::setprecision(5) << m.density << ")";
  else
    os << "pixels " << m.shape << " (uint8 NCHW, mean value " << std::setprecision(1)
       << 255.0 * m.density << " of 255)";
  os << (m.synthetic ? ", SYNTHETIC: " : ", from ") << m.source;
  return os.str();
}

std::string head(const std::vector<int64_t>& v, size_t k) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size() && i < k; ++i) os << (i ? " " : "") << v[i];
  if (v.size() > k) os << " …";
  return os.str();
}

int inspect(const Args& args) {
  po::options_description opt("options");
  std::string declaration, data_root;
  // clang-format off
  opt.add_options()
    ("declaration", po::value(&declaration)->required(), "dataset declaration (.toml)")
    ("data-root", po::value(&data_root),
     "folder that relative data paths resolve against (overrides the declaration's data_root)");
  // clang-format on
  po::positional_options_description pos;
  pos.add("declaration", 1);
  po::variables_map vm;
  if (!parse_options("data inspect", "DECLARATION.toml [options]", args, opt, pos, vm)) return 0;

  const data::DatasetDeclaration decl = data::parse_declaration_file(declaration, data_root);
  const data::Dataset d = data::load_dataset(decl);
  const data::DatasetSummary s = data::summarize(d);
  const data::Split split = data::make_split(d, decl);

  std::ostream& out = std::cout;
  out << std::fixed;
  out << "dataset      " << d.name << "\n";
  out << "declared in  " << decl.origin << "\n";
  if (!decl.description.empty()) out << "description  " << decl.description << "\n";
  out << "items        " << s.n << " (" << s.unlabelled_items << " without labels)\n";
  out << "labels       " << s.num_labels << "; per item mean " << std::setprecision(3)
      << s.labels_per_item_mean << ", min " << s.labels_per_item_min << ", max "
      << s.labels_per_item_max << "; density " << std::setprecision(4) << s.label_density << "\n";
  out << "text         " << modality_line(s.text) << "\n";
  out << "image        " << modality_line(s.image) << "\n";
  if (d.fixed_split)
    out << "split        fixed by the data";
  else
    out << "split        protocol seed " << decl.protocol->seed;
  out << ": query " << split.query.size() << ", train " << split.train.size() << ", database "
      << split.database.size() << " (query starts " << head(split.query, 5) << ")\n";
  for (const auto& f : d.fingerprints)
    out << "file         " << f.sha256 << "  " << f.bytes << " bytes  " << f.path << "\n";
  if (d.any_synthetic())
    out << "note         a modality is synthetic: every table and figure on this data must say "
           "so\n";
  return 0;
}

// DCMH conventions: LAll (N×L double 0/1), YAll (N×T double 0/1), XAll (N×D single) or IAll
// (uint8, MATLAB size H×W×3×N, which h5py shows as (N, 3, W, H)).
int synth(const Args& args) {
  const data::SyntheticParams defaults;
  auto with_default = [](const std::string& help, const auto& v) {
    std::ostringstream os;
    os << help << " (default " << v << ")";
    return os.str();
  };
  po::options_description opt("options");
  // clang-format off
  opt.add_options()
    ("out", po::value<std::string>()->required(), ".mat file to write")
    ("n", po::value<size_t>(), with_default("items", defaults.n).c_str())
    ("seed", po::value<uint64_t>(), with_default("seed of every draw", defaults.seed).c_str())
    ("labels", po::value<size_t>(), with_default("number of labels", defaults.num_labels).c_str())
    ("scenes", po::value<size_t>(),
     with_default("latent scene groups (label co-occurrence)", defaults.num_scenes).c_str())
    ("mean-labels", po::value<double>(),
     with_default("mean labels per item", defaults.mean_labels).c_str())
    ("tags", po::value<size_t>(), with_default("tag vocabulary size", defaults.tag_dim).c_str())
    ("mean-tags", po::value<double>(), with_default("mean tags per item", defaults.mean_tags).c_str())
    ("text-noise", po::value<double>(),
     with_default("share of label-independent tags, 0..1", defaults.text_noise).c_str())
    ("image", po::value<std::string>(),
     with_default("features (XAll) or pixels (IAll)",
                  data::synthetic_image_kind_name(defaults.image.kind)).c_str())
    ("dim", po::value<size_t>(), with_default("image feature dimension", defaults.image.dim).c_str())
    ("size", po::value<size_t>(), with_default("picture side in pixels", defaults.image.size).c_str())
    ("image-noise", po::value<double>(),
     with_default("image nuisance, clutter and occlusion, 0..1", defaults.image.noise).c_str())
    ("like", po::value<std::string>(),
     "take the labels and text of this declared dataset (e.g. the real MIRFLICKR-25K labels and tags) and "
     "draw only the image modality from its labels; --n and the label/tag options then do not apply")
    ("data-root", po::value<std::string>(), "with --like: folder the declaration's relative files are read from")
    ("v73", "write MAT v7.3 (HDF5); chosen automatically when a variable exceeds 2 GiB");
  // clang-format on
  po::variables_map vm;
  if (!parse_options("data synth", "--out FILE.mat [options]", args, opt, {}, vm)) return 0;

  data::SyntheticParams p;
  auto take = [&](const char* key, auto& field) {
    using T = std::decay_t<decltype(field)>;
    if (vm.count(key)) field = vm[key].as<T>();
  };
  take("n", p.n);
  take("seed", p.seed);
  take("labels", p.num_labels);
  take("scenes", p.num_scenes);
  take("mean-labels", p.mean_labels);
  take("tags", p.tag_dim);
  take("mean-tags", p.mean_tags);
  take("text-noise", p.text_noise);
  take("dim", p.image.dim);
  take("size", p.image.size);
  take("image-noise", p.image.noise);
  if (vm.count("image"))
    p.image.kind =
        data::parse_synthetic_image_kind(vm["image"].as<std::string>(), "data synth: --image");
  const std::string out_path = vm["out"].as<std::string>();

  data::Dataset d;
  if (vm.count("like")) {
    // Real labels and text, synthetic pictures or features drawn from those labels: a full-size
    // stand-in for a dataset whose images are not at hand, in the files' own layout.
    for (const char* key : {"n", "labels", "scenes", "mean-labels", "tags", "mean-tags", "text-noise"})
      if (vm.count(key))
        throw InputError(std::string("data synth: --") + key + " does not apply with --like (the declared dataset "
                         "fixes the items, labels and text); drop it");
    data::DatasetDeclaration decl = data::parse_declaration_file(
        vm["like"].as<std::string>(), vm.count("data-root") ? vm["data-root"].as<std::string>() : "");
    if (decl.synthetic)
      throw InputError("data synth: --like '" + vm["like"].as<std::string>() +
                       "' is itself wholly synthetic; name a declaration with real labels and text");
    decl.image.reset();
    decl.synthetic_images = data::SyntheticImagesDeclaration{p.seed, p.image};
    d = data::load_dataset(decl);
  } else {
    if (vm.count("data-root")) throw InputError("data synth: --data-root applies only with --like");
    d = data::generate_synthetic(p);
  }
  const size_t n = d.n;
  std::vector<double> lall(n * d.num_labels), yall(n * d.text.dim);
  for (size_t i = 0; i < n; ++i)
    for (size_t l = 0; l < d.num_labels; ++l) lall[l * n + i] = d.labels[i * d.num_labels + l];
  for (size_t i = 0; i < n; ++i)
    for (size_t t = 0; t < d.text.dim; ++t) yall[t * n + i] = d.text.features[i * d.text.dim + t];

  const uint64_t kV5Limit = uint64_t(1) << 31;  // MAT v5 stores a variable's size in 32 bits
  const bool v73 = vm.count("v73") || yall.size() * sizeof(double) >= kV5Limit ||
                   d.image.pixels.size() >= kV5Limit ||
                   d.image.features.size() * sizeof(float) >= kV5Limit;
  io::MatWriter w(out_path, v73);
  // Which variables were drawn rather than read: data::load marks a modality read from them as
  // synthetic, so tables made from this file say so whatever the file is renamed to.
  const std::string image_name = d.image.kind == data::ModalityKind::kFeatures ? "XAll" : "IAll";
  w.write_text(data::kSyntheticVariablesName, vm.count("like") ? image_name : "LAll YAll " + image_name);
  w.write("LAll", {n, d.num_labels}, lall.data());
  w.write("YAll", {n, d.text.dim}, yall.data());
  std::string image_var;
  if (d.image.kind == data::ModalityKind::kFeatures) {
    std::vector<float> xall(n * d.image.dim);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < d.image.dim; ++k)
        xall[k * n + i] = d.image.features[i * d.image.dim + k];
    w.write("XAll", {n, d.image.dim}, xall.data());
    image_var = "XAll (single, " + std::to_string(n) + "x" + std::to_string(d.image.dim) + ")";
  } else {
    // NCHW → MATLAB h×w×c×n (DCMH's IAll) in place, one item at a time: both layouts keep each
    // item's bytes in the same range, so the array is never held twice (3 GB at full size).
    const size_t c = d.image.channels, h = d.image.height, wd = d.image.width, per_item = c * h * wd;
    std::vector<uint8_t>& iall = d.image.pixels;
    std::vector<uint8_t> item(per_item);
    for (size_t i = 0; i < n; ++i) {
      uint8_t* block = iall.data() + i * per_item;
      std::copy(block, block + per_item, item.begin());
      for (size_t ch = 0; ch < c; ++ch)
        for (size_t y = 0; y < h; ++y)
          for (size_t x = 0; x < wd; ++x) block[y + h * (x + wd * ch)] = item[(ch * h + y) * wd + x];
    }
    w.write("IAll", {h, wd, c, n}, iall.data());
    image_var = "IAll (uint8, MATLAB size " + std::to_string(h) + "x" + std::to_string(wd) + "x" +
                std::to_string(c) + "x" + std::to_string(n) + ", pixel_layout = \"hwcn\")";
  }
  const data::DatasetSummary s = data::summarize(d);
  std::cout << std::fixed << std::setprecision(3) << "wrote " << out_path
            << (v73 ? " (MAT v7.3)" : " (MAT v5)") << ": LAll (double, " << n << "x" << d.num_labels
            << ", " << s.labels_per_item_mean << " labels per item), YAll (double, " << n << "x"
            << d.text.dim << ", " << s.text.nonzero_per_item << " tags per item), " << image_var << "; seed " << p.seed
            << (vm.count("like") ? ", labels and text from " + d.text.source + ", image modality SYNTHETIC\n"
                                 : std::string(", all modalities synthetic\n"));
  return 0;
}

}  // namespace

int data_command(const Args& args) {
  if (args.empty())
    throw InputError("data: name a subcommand: inspect or synth (see cmhbench data --help)");
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage << "\n";
    return 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "inspect") return inspect(rest);
  if (args[0] == "synth") return synth(rest);
  throw InputError("data: unknown subcommand '" + args[0] + "'; valid: inspect, synth");
}

}  // namespace cmh::cli
