// Feature extraction over a declared pixel set, resumable.
#include "methods/nets/extract_features.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/declaration.h"
#include "data/pixel_reader.h"
#include "data/synthetic.h"
#include "io/mat_file.h"
#include "methods/nets/batches.h"
#include "methods/nets/cnnf.h"
#include "methods/nets/image_nets.h"
#include "methods/nets/pretrained_weights.h"

namespace cmh::nets {
namespace fs = std::filesystem;

namespace {

// What the rows of a side file were computed from: a resumed run must match it exactly.
std::string run_identity(const FeatureRequest& r, const ImportedWeights& w, const data::PixelReader& px,
                         const std::string& image_file) {
  return "cmhbench-features/1 net=" + r.net + " weights_sha256=" + w.sha256 + " image_size=" +
         std::to_string(r.image_size) + " items=" + std::to_string(px.size()) + " pixels=" + image_file + " " +
         std::to_string(px.channels()) + "x" + std::to_string(px.height()) + "x" + std::to_string(px.width()) + "\n";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

FeatureResult extract_features(const FeatureRequest& r, const std::function<void(size_t, size_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  if (r.weights.empty())
    throw InputError("features: --weights is required (features of a randomly initialised net mean nothing): name "
                     "imagenet-vgg-f.mat, a torchvision .pth or a `cmhbench weights import` archive");
  if (r.out.empty()) throw InputError("features: --out FILE.mat is required");
  if (r.batch < 1) throw InputError("features: --batch must be at least 1");
  if (r.net != "cnnf" && r.net != "resnet18" && r.net != "resnet34")
    throw InputError("features: unknown --net '" + r.net + "'; choose cnnf, resnet18 or resnet34");
  const data::DatasetDeclaration decl = data::parse_declaration_file(r.declaration, r.data_root);
  if (!decl.image) throw InputError("features: '" + r.declaration + "' declares no [image]");
  const data::PixelReader pixels(*decl.image);
  if (pixels.channels() != 3) throw InputError("features: ImageNet nets take 3-channel pictures; '" + decl.image->file + "' has 1");

  if (r.threads > 0) torch::set_num_threads(r.threads);
  torch::Device device(r.device);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw InputError("features: --device " + r.device + " but no CUDA device is visible; use --device cpu");
  std::shared_ptr<ImageBackbone> net = r.net == "cnnf" ? make_cnnf() : make_image_backbone(r.net);
  const ImportedWeights w = load_backbone_weights(*net, r.net, r.weights);
  net->eval();
  net->to(device);
  torch::NoGradGuard no_grad;

  FeatureResult res;
  res.items = pixels.size();
  res.dim = static_cast<size_t>(net->feature_dim());
  res.streamed = pixels.streams();
  res.weights_sha256 = w.sha256;
  res.normalization = w.input.description;
  const size_t row_bytes = res.dim * sizeof(float);

  // Rows already computed by an interrupted run of the same request are kept; anything else starts over.
  const std::string side = r.out + ".partial", side_id = r.out + ".partial.id";
  const std::string identity = run_identity(r, w, pixels, decl.image->file);
  std::error_code ec;
  if (fs::exists(side) && read_text(side_id) == identity) {
    const size_t rows = std::min(res.items, static_cast<size_t>(fs::file_size(side)) / row_bytes);
    fs::resize_file(side, rows * row_bytes);  // a row cut short by the kill is computed again
    res.resumed_items = rows;
  } else {
    fs::remove(side, ec);
    if (fs::path(r.out).has_parent_path()) fs::create_directories(fs::path(r.out).parent_path());
    std::ofstream(side_id) << identity;
    std::ofstream(side, std::ios::binary | std::ios::trunc);
  }
  // Pixels come in blocks of whole HDF5 chunks (about data::kPixelSlabBytes): a batch-sized read of
  // matio's 2,048-item chunks would inflate each chunk once per batch.
  const size_t per_item = pixels.channels() * pixels.height() * pixels.width();
  std::vector<uint8_t> block;
  size_t block_first = 0, block_n = 0;
  auto pixels_of = [&](size_t first, size_t count) {
    if (first < block_first || first + count > block_first + block_n) {
      block_first = first;
      block_n = std::max(count, pixels.aligned_count(first, std::max(count, data::kPixelSlabBytes / per_item)));
      block_n = std::min(block_n, res.items - first);
      block = pixels.read(first, block_n);
    }
    const auto from = block.begin() + static_cast<std::ptrdiff_t>((first - block_first) * per_item);
    return std::vector<uint8_t>(from, from + static_cast<std::ptrdiff_t>(count * per_item));
  };
  {
    std::ofstream rows(side, std::ios::binary | std::ios::app);
    for (size_t first = res.resumed_items; first < res.items; first += static_cast<size_t>(r.batch)) {
      const size_t count = std::min(static_cast<size_t>(r.batch), res.items - first);
      data::Modality batch;
      batch.kind = data::ModalityKind::kPixels;
      batch.n = count;
      batch.channels = pixels.channels(), batch.height = pixels.height(), batch.width = pixels.width();
      batch.pixels = pixels_of(first, count);
      std::vector<int64_t> items(count);
      for (size_t k = 0; k < count; ++k) items[k] = static_cast<int64_t>(k);
      const torch::Tensor f =
          net->forward(image_batch(batch, items, r.image_size, &w.input).to(device)).to(torch::kCPU, torch::kFloat32).contiguous();
      if (!torch::isfinite(f).all().item<bool>())
        throw InputError("features: items " + std::to_string(first) + ".." + std::to_string(first + count - 1) +
                         " gave non-finite features; check the weights file and the pixels");
      rows.write(reinterpret_cast<const char*>(f.data_ptr<float>()), static_cast<std::streamsize>(count * row_bytes));
      rows.flush();
      if (!rows) throw InputError("features: cannot write '" + side + "' (disk full?)");
      if (progress) progress(first + count, res.items);
    }
  }
  // The side file's rows → XAll, items as rows (MATLAB column-major: item i, feature j at i + n·j).
  std::vector<float> xall(res.items * res.dim);
  {
    std::ifstream in(side, std::ios::binary);
    std::vector<float> row(res.dim);
    for (size_t i = 0; i < res.items; ++i) {
      if (!in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(row_bytes)))
        throw InputError("features: '" + side + "' ends at row " + std::to_string(i) + "; remove it and run again");
      for (size_t j = 0; j < res.dim; ++j) xall[i + res.items * j] = row[j];
    }
  }
  const std::string tmp = r.out + ".tmp";
  {
    const bool v73 = xall.size() * sizeof(float) > (size_t(2) << 30) - (size_t(1) << 20);  // v5 stops at 2 GB
    io::MatWriter mat(tmp, v73, /*compress=*/false);
    mat.write(r.variable, {res.items, res.dim}, xall.data());
    mat.write_text("net", r.net);
    mat.write_text("weights_sha256", w.sha256);
    mat.write_text("weights_format", w.format);
    mat.write_text("normalization", w.input.description);
    // Features of drawn pictures are as synthetic as the pictures: loading them says so.
    if (data::drawn_by_synth(decl.image->file, decl.image->variables)) mat.write_text(data::kSyntheticVariablesName, r.variable);
  }
  fs::rename(tmp, r.out);
  fs::remove(side, ec);
  fs::remove(side_id, ec);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace cmh::nets
