// `cmhbench features`: a pretrained image net run over every item's pixels of a declared dataset,
// its output (CNN-F: fc7 after ReLU, 4,096-d; ResNet: the pooled 512-d output) written as
// XAll items-as-rows, the input of the shallow baselines in the DCMH line of work. Pixels are read
// a batch at a time (data::PixelReader: hyperslabs of a v7.3 IAll), rows go to a side file as
// they are computed, so memory is one batch plus the nets and the output, and a killed run
// resumes where it stopped. Torch-free header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace cmh::nets {

struct FeatureRequest {
  std::string declaration;  ///< a dataset declaration whose [image] is pixels
  std::string data_root;    ///< overrides the declaration's
  std::string net = "cnnf";  ///< cnnf | resnet18 | resnet34
  std::string weights;      ///< publisher's file or `weights import` archive (required: random features are no features)
  std::string out;          ///< the .mat to write
  std::string variable = "XAll";
  std::string device = "cpu";
  int64_t batch = 32;
  int64_t image_size = 224;
  int threads = 0;  ///< 0: LibTorch's default
};

struct FeatureResult {
  size_t items = 0, dim = 0;
  size_t resumed_items = 0;  ///< rows found from an earlier, interrupted run
  bool streamed = false;     ///< pixels read per batch (v7.3), not held
  std::string weights_sha256, normalization;
  double seconds = 0;
};

/// `progress(done, total)` is called after every batch.
FeatureResult extract_features(const FeatureRequest& request, const std::function<void(size_t, size_t)>& progress);

}  // namespace cmh::nets
