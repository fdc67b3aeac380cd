// The hand-over file holds each array exactly as it lies in memory (row-major, items first),
// which MATLAB's column-major order reads as the reversed shape: labels L×n, features D×n,
// pixels W×H×C×n. Writing it needs no transposed copy, and every reader gets the same rule:
// reverse the axes (NumPy: .T) for items first.
#include "methods/external/request.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "data/pixel_cache.h"
#include "io/mat_file.h"

namespace cmh::external {
namespace {

namespace fs = std::filesystem;

// Beyond this many bytes in one variable, MAT v5 (32-bit sizes) cannot hold it: v7.3 (HDF5).
constexpr size_t kMat5Bytes = (size_t{1} << 31) - 4096;

bool materialised(const data::Modality& m, bool materialise_pixels) {
  return m.kind == data::ModalityKind::kFeatures || materialise_pixels || m.stored_file.empty();
}

std::vector<uint8_t> all_pixels(const data::Modality& m) {
  std::vector<int64_t> items(m.n);
  for (size_t i = 0; i < m.n; ++i) items[i] = static_cast<int64_t>(i);
  std::vector<uint8_t> out(data::pixel_bytes(m));
  data::read_pixel_items(m, items.data(), items.size(), out.data());
  return out;
}

size_t modality_bytes(const data::Modality& m) {
  return m.kind == data::ModalityKind::kFeatures ? m.features.size() * sizeof(float) : data::pixel_bytes(m);
}

std::vector<size_t> materialised_dims(const data::Modality& m) {
  if (m.kind == data::ModalityKind::kFeatures) return {m.dim, m.n};
  return {m.width, m.height, m.channels, m.n};
}

// Where the declared variable's axes are, in MATLAB's size() order (the declaration's pixel_layout).
std::vector<size_t> declared_dims(const data::Modality& m) {
  std::vector<size_t> dims;
  for (char axis : m.stored_pixel_layout)
    dims.push_back(axis == 'n' ? m.n : axis == 'c' ? m.channels : axis == 'h' ? m.height : m.width);
  return dims;
}

void write_entry(JsonWriter& j, const std::string& file, const std::string& variable, const std::string& cls,
                 const std::vector<size_t>& dims, const std::string& axes, const std::string& kind, bool synthetic,
                 const std::string& source) {
  j.begin_object();
  j.key("file").value(file).key("variable").value(variable).key("class").value(cls);
  j.key("dims").begin_array();
  for (size_t d : dims) j.value(d);
  j.end_array();
  j.key("axes").value(axes).key("kind").value(kind).key("synthetic").value(synthetic).key("source").value(source);
  j.end_object();
}

// A cache key, not a fingerprint (the runs record the files' SHA-256): two 64-bit
// multiply-xorshift lanes over 16-byte words, some GB/s, so that naming the hand-over file costs
// little next to starting a program.
class ContentHash {
 public:
  void update(const void* data, size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t i = 0;
    for (; i + 16 <= bytes; i += 16) {
      uint64_t w[2];
      std::memcpy(w, p + i, 16);
      lane(a_, w[0], 0x9E3779B97F4A7C15ull);
      lane(b_, w[1], 0xC2B2AE3D27D4EB4Full);
    }
    uint64_t tail[2] = {0, 0};
    std::memcpy(tail, p + i, bytes - i);
    lane(a_, tail[0] ^ bytes, 0x9E3779B97F4A7C15ull);
    lane(b_, tail[1] ^ (bytes << 1), 0xC2B2AE3D27D4EB4Full);
  }
  /// 32 hex digits: both lanes, each word having reached one of them.
  std::string hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_), static_cast<unsigned long long>(b_));
    return buf;
  }

 private:
  static void lane(uint64_t& h, uint64_t w, uint64_t k) {
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  uint64_t a_ = 0x243F6A8885A308D3ull, b_ = 0x13198A2E03707344ull;
};

std::string content_hash(const data::Dataset& d, bool materialise_pixels) {
  ContentHash h;
  auto text = [&](const std::string& s) { h.update(s.data(), s.size()); };
  text(d.name + " n=" + std::to_string(d.n) + " labels=" + std::to_string(d.num_labels));
  h.update(d.labels.data(), d.labels.size());
  for (const data::Modality* m : {&d.image, &d.text}) {
    if (!materialised(*m, materialise_pixels)) {
      text("declared " + m->stored_file + ":" + m->stored_variable);
      continue;
    }
    std::string shape;
    for (size_t x : materialised_dims(*m)) shape += std::to_string(x) + "x";
    text(shape);
    if (m->kind == data::ModalityKind::kFeatures) h.update(m->features.data(), m->features.size() * sizeof(float));
    else if (m->pixel_cache) text("pixel cache " + m->pixel_cache->path());  // named by the source's SHA-256
    else h.update(m->pixels.data(), m->pixels.size());
  }
  return h.hex();
}

}  // namespace

std::string hand_over_data(const data::Dataset& d, const std::string& cache_dir, bool materialise_pixels) {
  const bool image_here = materialised(d.image, materialise_pixels);
  const bool text_here = materialised(d.text, materialise_pixels);
  const bool v73 = d.labels.size() > kMat5Bytes || (image_here && modality_bytes(d.image) > kMat5Bytes) ||
                   (text_here && modality_bytes(d.text) > kMat5Bytes);
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  const std::string file =
      fs::absolute(fs::path(cache_dir) / (d.name + "-" + content_hash(d, materialise_pixels) + ".mat")).string();
  if (!fs::exists(file)) {
    const std::string tmp = file + ".tmp" + std::to_string(getpid());
    try {
      std::vector<std::string> names = {"labels"};
      {
        io::MatWriter w(tmp, v73, /*compress=*/false);
        w.write("labels", {d.num_labels, d.n}, d.labels.data());
        for (const auto& [name, m, here] : {std::tuple<const char*, const data::Modality*, bool>{"image", &d.image, image_here},
                                            {"text", &d.text, text_here}}) {
          if (!here) continue;
          if (m->kind == data::ModalityKind::kFeatures) w.write(name, materialised_dims(*m), m->features.data());
          else if (!m->pixel_cache) w.write(name, materialised_dims(*m), m->pixels.data());
          else w.write(name, materialised_dims(*m), all_pixels(*m).data());  // the copy asked for: the set in memory once
          names.push_back(name);
        }
      }
      // Read back before it is shared: a file cut short (a full disk) must not be cached.
      const io::MatReader check(tmp);
      for (const auto& name : names)
        if (!check.has(name))
          throw InputError("external: the hand-over file '" + tmp + "' lacks '" + name + "' after writing; is the disk full?");
    } catch (...) {
      fs::remove(tmp, ec);
      throw;
    }
    fs::rename(tmp, file, ec);  // another process may have renamed the same contents first: fine
    if (ec && !fs::exists(file))
      throw InputError("external: cannot place the data file '" + file + "': " + ec.message());
    fs::remove(tmp, ec);
  }

  JsonWriter j;
  j.begin_object();
  j.key("n").value(d.n).key("num_labels").value(d.num_labels);
  j.key("mat_version").value(v73 ? "7.3" : "5");
  j.key("labels");
  write_entry(j, file, "labels", "uint8", {d.num_labels, d.n}, "ln", "labels", false, "");
  for (const auto& [name, m] : {std::pair<const char*, const data::Modality*>{"image", &d.image}, {"text", &d.text}}) {
    j.key(name);
    const bool features = m->kind == data::ModalityKind::kFeatures;
    if (materialised(*m, materialise_pixels))
      write_entry(j, file, name, features ? "single" : "uint8", materialised_dims(*m), features ? "dn" : "whcn",
                  features ? "features" : "pixels", m->synthetic, m->source);
    else
      write_entry(j, fs::absolute(m->stored_file).string(), m->stored_variable, "uint8", declared_dims(*m),
                  m->stored_pixel_layout, "pixels", m->synthetic, m->source);
  }
  j.end_object();
  return j.str();
}

}  // namespace cmh::external
