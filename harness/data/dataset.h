// A loaded cross-modal dataset held as plain arrays (torch-free): methods wrap these buffers in
// tensors without copying, and pixels stay uint8 until a batch is converted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cmh::data {

enum class ModalityKind { kFeatures, kPixels };
class PixelCache;

/// One modality of n items.
struct Modality {
  ModalityKind kind = ModalityKind::kFeatures;
  size_t n = 0;
  // kFeatures: features[i * dim + d], float, rows = items.
  size_t dim = 0;
  std::vector<float> features;
  // kPixels: pixels[((i * channels + c) * height + h) * width + w], uint8 NCHW; or, for a set
  // read from a file into a pixel cache, `pixels` empty and every item in `pixel_cache` (read
  // them through read_pixel_items, pixel_cache.h).
  size_t channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
  std::shared_ptr<const PixelCache> pixel_cache;
  /// True when this modality was generated rather than read (e.g. synthetic images for
  /// MIRFLICKR's real labels and tags): every output that depends on it must say so.
  bool synthetic = false;
  std::string source;  ///< "file.mat:YAll", or "synthetic(seed=…)"
  /// Pixels read from one variable of one file: that file, the variable and its declared
  /// pixel_layout, so that a program outside cmhbench (an external method) can read the array
  /// where it lies instead of a copy; empty otherwise.
  std::string stored_file, stored_variable, stored_pixel_layout;
};

/// Size and SHA-256 of one input file, recorded in every run's provenance.
struct FileFingerprint {
  std::string path;
  uint64_t bytes = 0;
  std::string sha256;
};

/// A split fixed by the data (e.g. Wikipedia's train/test files) instead of a seeded permutation.
struct FixedSplit {
  std::vector<int64_t> query, train, database;
};

struct Dataset {
  std::string name;  ///< e.g. "mirflickr25k", "wikipedia", "synthetic"
  size_t n = 0;      ///< items (pairs)
  size_t num_labels = 0;
  std::vector<uint8_t> labels;  ///< n × num_labels multi-hot, row-major
  Modality image, text;
  std::optional<FixedSplit> fixed_split;
  std::vector<FileFingerprint> fingerprints;
  size_t unlabelled_items = 0;  ///< items with an all-zero label row (allowed, reported)

  bool any_synthetic() const { return image.synthetic || text.synthetic; }
};

/// Index sets into a Dataset; database ⊇ train in the DCMH protocol.
struct Split {
  std::vector<int64_t> query, train, database;
};

}  // namespace cmh::data
