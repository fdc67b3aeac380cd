// Pixels of a declared image set kept on disk as one NCHW uint8 file and read per item, so that
// training and encoding hold a batch and never the set (NUS-WIDE's IAll is ~28 GB). Made once
// from the .mat file in slabs aligned to its HDF5 chunks (each compressed chunk inflated once),
// verified on every open against the source's SHA-256, variables and layout. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace cmh::data {

struct ModalityDeclaration;
struct Modality;

class PixelCache {
 public:
  /// The cache of `image` (kind = "pixels") in `dir`: opened when its header matches
  /// `source_sha256` (the image file's), the variables, the layout and the shape, else made
  /// first (slabs of about `slab_bytes`, at least one chunk row of the file) under a temporary
  /// name and renamed, so a killed run leaves no half cache. `log` (may be null) hears what
  /// happens. InputError when `dir` cannot be written or the disk lacks room (naming both fixes).
  static std::shared_ptr<const PixelCache> open_or_make(const ModalityDeclaration& image,
                                                        const std::string& source_sha256, const std::string& dir,
                                                        size_t slab_bytes, std::ostream* log);
  ~PixelCache();
  PixelCache(const PixelCache&) = delete;
  PixelCache& operator=(const PixelCache&) = delete;

  size_t size() const { return n_; }
  size_t channels() const { return c_; }
  size_t height() const { return h_; }
  size_t width() const { return w_; }
  size_t item_bytes() const { return c_ * h_ * w_; }
  /// Mean pixel value / 255 over the set, counted while the cache was made.
  double mean() const { return mean_; }
  const std::string& path() const { return path_; }
  /// True when this process made the cache (false: an existing one was verified and reused).
  bool made_now() const { return made_now_; }

  /// Items `items[0..count)`, any order and repeats, as NCHW uint8 into `out` (count ×
  /// item_bytes()). Runs of consecutive items are one read. Safe from several threads.
  void read(const int64_t* items, size_t count, uint8_t* out) const;

 private:
  PixelCache() = default;
  std::string path_;
  int fd_ = -1;
  size_t n_ = 0, c_ = 0, h_ = 0, w_ = 0;
  double mean_ = 0;
  bool made_now_ = false;
};

/// `cmhbench-cache/` beside the image file when that folder can be written, else
/// $XDG_CACHE_HOME/cmhbench (or ~/.cache/cmhbench).
std::string default_pixel_cache_dir(const std::string& image_file);

/// Bytes of a pixel modality's items (n × c × h × w), held or cached.
size_t pixel_bytes(const Modality& m);
/// Items of a pixel modality as NCHW uint8, from memory or from its cache.
void read_pixel_items(const Modality& m, const int64_t* items, size_t count, uint8_t* out);

}  // namespace cmh::data
