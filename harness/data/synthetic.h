// Seeded synthetic cross-modal data: multi-label sets with MIRFLICKR-25K-like statistics, sparse
// tag texts, and images (features or small RGB pictures) derived from the labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace cmh::data {

enum class SyntheticImageKind { kFeatures, kPixels };

/// "features" | "pixels"; InputError naming both otherwise (origin = the caller's context).
SyntheticImageKind parse_synthetic_image_kind(const std::string& s, const std::string& origin);
const char* synthetic_image_kind_name(SyntheticImageKind k);

/// How an image modality is drawn from a label matrix.
struct SyntheticImageParams {
  SyntheticImageKind kind = SyntheticImageKind::kFeatures;
  /// kFeatures: dimension of the vector, a fixed random non-linear map of the labels.
  size_t dim = 512;
  /// kPixels: side of the square RGB picture (32 or 64 suit small CNNs; at least 16).
  size_t size = 32;
  /// 0 = the labels are plainly visible; 1 = heavy nuisance variation, clutter and occlusion.
  double noise = 0.5;
};

/// A complete synthetic dataset. Defaults follow the real MIRFLICKR-25K (DCMH-cleaned) statistics:
/// 24 labels, ~3.8 labels per item with co-occurrence driven by latent scenes, 1,386-d binary tags
/// with ~4.6 tags per item.
struct SyntheticParams {
  uint64_t seed = 0;  ///< every draw derives from it; never from the clock
  size_t n = 20015;   ///< items
  size_t num_labels = 24;
  size_t num_scenes = 6;     ///< latent scene groups: labels of one scene co-occur
  double mean_labels = 3.8;  ///< target mean labels per item (every item gets at least one)
  size_t tag_dim = 1386;     ///< text vocabulary
  double mean_tags = 4.6;    ///< mean distinct tags per item (at least one)
  /// Text difficulty in [0, 1]: the share of tags drawn from a label-independent Zipf vocabulary
  /// instead of the item's labels' own tags is 0.1 + 0.8 * text_noise.
  double text_noise = 0.5;
  SyntheticImageParams image;
};

/// Generates labels, tags and images; the name is "synthetic", both modalities are synthetic.
/// The same parameters give bit-identical data. InputError ("data::synthetic: …") on bad params.
Dataset generate_synthetic(const SyntheticParams& p);

/// Case (b) of the protocol: completes a dataset that has real labels (and usually real text) with
/// an image modality drawn from those labels. Sets image.synthetic = true and appends
/// " (synthetic images)" to the name, so every output that names the data says so.
void add_synthetic_images(Dataset& d, uint64_t seed, const SyntheticImageParams& p = {});

/// True when the .mat file at `path` says (kSyntheticVariablesName, written by `cmhbench data
/// synth` and by `features` of drawn pictures) that one of `variables` was drawn, not read.
bool drawn_by_synth(const std::string& path, const std::vector<std::string>& variables);

}  // namespace cmh::data
