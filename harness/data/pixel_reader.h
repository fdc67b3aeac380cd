// Pixels of a declared image modality read a batch of items at a time, without loading the set:
// a v7.3 (HDF5) variable is read as hyperslabs along its item axis, so a 28 GB IAll costs one
// batch; a v5 variable (under 2 GB by its format) is read once and kept. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/mat_file.h"

namespace cmh::data {

struct ModalityDeclaration;

/// A pixel variable's axes: sizes of n, c, h, w and, for each MATLAB axis k, which of them it is.
struct PixelAxes {
  size_t size[4] = {};     ///< n, c, h, w
  size_t axis_of[4] = {};  ///< MATLAB axis k is n (0), c (1), h (2) or w (3)
  size_t item_axis = 0;    ///< the MATLAB axis of n
};

/// `dims` (MATLAB order, trailing singletons dropped) read through `pixel_layout` (a permutation of "nchw").
PixelAxes pixel_axes(const std::vector<size_t>& dims, const std::string& pixel_layout);

/// Writes the `count` items of slab `a` (the variable's MATLAB order, item axis `count` long) to
/// `out` as NCHW uint8.
void slab_to_nchw(const io::MatArray<uint8_t>& a, const PixelAxes& axes, size_t count, uint8_t* out);

class PixelReader {
 public:
  /// The [image] section of a declaration with kind = "pixels" (one variable or several parts,
  /// concatenated in order). InputError naming the variable when it is not uint8 pixels.
  explicit PixelReader(const ModalityDeclaration& image);
  ~PixelReader();
  size_t size() const { return n_; }
  size_t channels() const { return c_; }
  size_t height() const { return h_; }
  size_t width() const { return w_; }
  /// True when every part streams from a v7.3 file (memory: one batch); false when v5 parts are held whole.
  bool streams() const;
  /// Items [first, first + count) as NCHW uint8.
  std::vector<uint8_t> read(size_t first, size_t count) const;
  /// How many items to read from `first` (item `first` starts a part or ends a previous aligned
  /// read): about `wanted`, rounded to whole HDF5 chunks of the part (at least one), or up to the
  /// part's end. Slabs read so inflate each compressed chunk once.
  size_t aligned_count(size_t first, size_t wanted) const;

 private:
  struct Part {
    std::string variable;
    size_t first = 0, n = 0;
    PixelAxes axes;
    bool stream = false;
    size_t chunk = 0;  // items per HDF5 chunk along the item axis (0: not chunked)
    std::vector<uint8_t> held;  // NCHW, when not streamed
  };
  std::unique_ptr<io::MatReader> reader_;
  std::vector<Part> parts_;
  size_t n_ = 0, c_ = 0, h_ = 0, w_ = 0;
};

}  // namespace cmh::data
