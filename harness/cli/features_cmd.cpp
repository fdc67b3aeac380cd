// `cmhbench features DECL.toml --weights W --out X.mat [--net cnnf] [--device cpu] [--batch 32]`:
// ImageNet features (CNN-F fc7 after ReLU) of every item's pixels, the file the
// experiments/datasets/*-cnnf.toml declarations read. Progress and an ETA on stderr; a killed
// run started again with the same arguments resumes.
#include <chrono>
#include <cstdio>

#include "cli/options.h"
#include "common/error.h"
#include "methods/nets/extract_features.h"

namespace cmh::cli {

int features_command(const Args& args) {
  po::options_description opt("options");
  nets::FeatureRequest r;
  opt.add_options()("declaration", po::value(&r.declaration), "dataset declaration whose [image] is pixels")(
      "weights", po::value(&r.weights), "imagenet-vgg-f.mat, a torchvision .pth, or a `weights import` archive")(
      "out", po::value(&r.out), "the .mat to write (e.g. mirflickr25k-cnnf-xall.mat beside the data)")(
      "net", po::value(&r.net)->default_value("cnnf"), "cnnf | resnet18 | resnet34")(
      "variable", po::value(&r.variable)->default_value("XAll"), "variable name of the features")(
      "device", po::value(&r.device)->default_value("cpu"), "cpu | cuda | cuda:N")(
      "batch", po::value(&r.batch)->default_value(32), "pictures per forward pass")(
      "image-size", po::value(&r.image_size)->default_value(224), "pictures are resized to this side")(
      "threads", po::value(&r.threads)->default_value(0), "CPU threads (0: LibTorch's default)")(
      "data-root", po::value(&r.data_root), "overrides the declaration's data_root");
  po::positional_options_description pos;
  pos.add("declaration", 1);
  po::variables_map vm;
  if (!parse_options("features", "DECL.toml --weights FILE --out FILE.mat [options]", args, opt, pos, vm)) return 0;
  if (r.declaration.empty()) throw InputError("features: name a dataset declaration (e.g. experiments/datasets/mirflickr25k.toml)");
  // The rate is measured from the first batch on (loading the weights is not part of it).
  std::chrono::steady_clock::time_point first_at;
  size_t first_done = 0;
  const nets::FeatureResult res = nets::extract_features(r, [&](size_t done, size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (first_done == 0) {
      first_at = now;
      first_done = done;
      std::fprintf(stderr, "\rfeatures: %zu / %zu items   ", done, total);
    } else {
      const double s = std::chrono::duration<double>(now - first_at).count();
      const double rate = s > 0 ? static_cast<double>(done - first_done) / s : 0;
      std::fprintf(stderr, "\rfeatures: %zu / %zu items (%.1f items/s, ETA %.0f s)   ", done, total, rate,
                   rate > 0 ? static_cast<double>(total - done) / rate : 0.0);
    }
    if (done == total) std::fprintf(stderr, "\n");
  });
  std::printf("wrote %s: %s %zu x %zu (%s fc7/pooled features; weights sha256 %s; input: %s)%s%s; %.1f s\n", r.out.c_str(),
              r.variable.c_str(), res.items, res.dim, r.net.c_str(), res.weights_sha256.substr(0, 12).c_str(),
              res.normalization.c_str(),
              res.resumed_items ? (", resumed after " + std::to_string(res.resumed_items) + " items").c_str() : "",
              res.streamed ? ", pixels read per batch" : ", pixels held (v5 file)", res.seconds);
  return 0;
}

}  // namespace cmh::cli
