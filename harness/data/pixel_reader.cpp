// Batched pixel reads from declared .mat files.
#include "data/pixel_reader.h"

#include <stdexcept>
#include <string_view>

#include "common/error.h"
#include "data/declaration.h"

namespace cmh::data {

PixelAxes pixel_axes(const std::vector<size_t>& dims_in, const std::string& pixel_layout) {
  std::vector<size_t> dims = dims_in;
  dims.resize(4, 1);  // MATLAB drops trailing singleton axes (a single item, one channel)
  PixelAxes a;
  for (size_t k = 0; k < 4; ++k) {
    const size_t axis = std::string_view("nchw").find(pixel_layout.size() == 4 ? pixel_layout[k] : '?');
    if (axis >= 4) throw std::logic_error("pixel_layout '" + pixel_layout + "' passed the parser");
    a.axis_of[k] = axis;
    a.size[axis] = dims[k];
    if (axis == 0) a.item_axis = k;
  }
  return a;
}

void slab_to_nchw(const io::MatArray<uint8_t>& a, const PixelAxes& axes, size_t count, uint8_t* out) {
  size_t st[4] = {}, step = 1;  // column-major strides of the slab, indexed n, c, h, w
  for (size_t k = 0; k < 4; ++k) {
    st[axes.axis_of[k]] = step;
    step *= axes.axis_of[k] == 0 ? count : axes.size[axes.axis_of[k]];
  }
  const size_t c = axes.size[1], h = axes.size[2], w = axes.size[3];
  for (size_t in = 0; in < count; ++in)
    for (size_t ic = 0; ic < c; ++ic)
      for (size_t ih = 0; ih < h; ++ih) {
        const uint8_t* src = a.data.data() + in * st[0] + ic * st[1] + ih * st[2];
        for (size_t iw = 0; iw < w; ++iw) *out++ = src[iw * st[3]];
      }
}

PixelReader::PixelReader(const ModalityDeclaration& image) {
  if (image.kind != ModalityKind::kPixels)
    throw InputError("[image] of this declaration holds features, not pixels (kind = \"features\"); declare the "
                     "pixel file (kind = \"pixels\", pixel_layout) to compute features from it");
  reader_ = std::make_unique<io::MatReader>(image.file);
  for (const auto& v : image.variables) {
    const io::MatVarInfo i = reader_->info(v);
    if (i.cls != io::MatClass::kUInt8 || i.dims.size() > 4 || i.numel() == 0)
      throw InputError("'" + image.file + "' variable '" + v + "' is " + io::mat_class_name(i.cls) + " " + i.shape() +
                       "; pixels are a non-empty uint8 array of 4 axes (pixel_layout = \"" + image.pixel_layout + "\")");
    Part p;
    p.variable = v;
    p.axes = pixel_axes(i.dims, image.pixel_layout);
    p.first = n_;
    p.n = p.axes.size[0];
    const size_t c = p.axes.size[1], h = p.axes.size[2], w = p.axes.size[3];
    if (c != 1 && c != 3)
      throw InputError("'" + image.file + "' variable '" + v + "' (" + i.shape() + ") read as pixel_layout = \"" +
                       image.pixel_layout + "\" has " + std::to_string(c) + " channels; fix pixel_layout");
    if (parts_.empty()) {
      c_ = c, h_ = h, w_ = w;
    } else if (c != c_ || h != h_ || w != w_) {
      throw InputError("'" + image.file + "' variable '" + v + "' holds images of another size than '" +
                       parts_.front().variable + "'");
    }
    p.stream = reader_->slab_reads_are_cheap(v);
    if (p.stream) p.chunk = reader_->item_chunk(v, p.axes.item_axis);
    if (!p.stream) {
      p.held.resize(p.n * c * h * w);
      slab_to_nchw(reader_->read_uint8(v), p.axes, p.n, p.held.data());
    }
    n_ += p.n;
    parts_.push_back(std::move(p));
  }
}

PixelReader::~PixelReader() = default;

bool PixelReader::streams() const {
  for (const auto& p : parts_)
    if (!p.stream) return false;
  return true;
}

std::vector<uint8_t> PixelReader::read(size_t first, size_t count) const {
  if (first + count > n_) throw std::logic_error("PixelReader::read beyond the last item");
  const size_t per_item = c_ * h_ * w_;
  std::vector<uint8_t> out(count * per_item);
  size_t done = 0;
  for (const auto& p : parts_) {
    const size_t lo = std::max(first + done, p.first), hi = std::min(first + count, p.first + p.n);
    if (lo >= hi) continue;
    uint8_t* dst = out.data() + (lo - first) * per_item;
    if (p.stream) {
      slab_to_nchw(reader_->read_uint8_slab(p.variable, p.axes.item_axis, lo - p.first, hi - lo), p.axes, hi - lo, dst);
    } else {
      std::copy(p.held.begin() + static_cast<std::ptrdiff_t>((lo - p.first) * per_item),
                p.held.begin() + static_cast<std::ptrdiff_t>((hi - p.first) * per_item), dst);
    }
    done = hi - first;
  }
  return out;
}

size_t PixelReader::aligned_count(size_t first, size_t wanted) const {
  for (const auto& p : parts_) {
    if (first < p.first || first >= p.first + p.n) continue;
    const size_t left = p.first + p.n - first;
    if (p.chunk == 0 || !p.stream) return std::min(std::max<size_t>(wanted, 1), left);
    return std::min(std::max<size_t>(1, wanted / p.chunk) * p.chunk, left);
  }
  throw std::logic_error("PixelReader::aligned_count beyond the last item");
}

}  // namespace cmh::data
