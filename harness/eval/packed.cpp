// PackedBits construction and conversion.
#include "eval/packed.h"

#include <string>

#include "common/error.h"

namespace cmh::eval {

PackedBits::PackedBits(size_t n, int bits, int max_bits) : n_(n), bits_(bits) {
  if (bits < 1 || bits > max_bits)
    throw InputError("eval::PackedBits: " + std::to_string(bits) + " bits per row; must be 1.." +
                     std::to_string(max_bits));
  words_ = (bits + 63) / 64;
  data_.assign(n * static_cast<size_t>(words_), 0);
}

void PackedBits::set(size_t i, int j, bool value) {
  const uint64_t mask = uint64_t{1} << (j & 63);
  if (value)
    row(i)[j >> 6] |= mask;
  else
    row(i)[j >> 6] &= ~mask;
}

PackedBits PackedBits::from_real(const float* values, size_t n, int bits) {
  PackedBits p(n, bits);
  for (size_t i = 0; i < n; ++i) {
    uint64_t* r = p.row(i);
    const float* v = values + i * static_cast<size_t>(bits);
    for (int j = 0; j < bits; ++j)
      if (v[j] >= 0.0f) r[j >> 6] |= uint64_t{1} << (j & 63);
  }
  return p;
}

PackedBits PackedBits::from_binary(const uint8_t* values, size_t n, int bits, int max_bits) {
  PackedBits p(n, bits, max_bits);
  for (size_t i = 0; i < n; ++i) {
    uint64_t* r = p.row(i);
    const uint8_t* v = values + i * static_cast<size_t>(bits);
    for (int j = 0; j < bits; ++j)
      if (v[j]) r[j >> 6] |= uint64_t{1} << (j & 63);
  }
  return p;
}

PackedBits PackedBits::labels(const uint8_t* multi_hot, size_t n, int num_labels) {
  return from_binary(multi_hot, n, num_labels, 1 << 20);
}

PackedBits PackedBits::select(const std::vector<int64_t>& rows) const {
  PackedBits out;
  out.n_ = rows.size();
  out.bits_ = bits_;
  out.words_ = words_;
  out.data_.resize(rows.size() * static_cast<size_t>(words_));
  for (size_t k = 0; k < rows.size(); ++k) {
    if (rows[k] < 0 || static_cast<size_t>(rows[k]) >= n_)
      throw std::out_of_range("eval::PackedBits::select: row " + std::to_string(rows[k]) +
                              " outside 0.." + std::to_string(n_));
    const uint64_t* src = row(static_cast<size_t>(rows[k]));
    std::copy(src, src + words_, out.row(k));
  }
  return out;
}

PackedBits PackedBits::keep_bits(const std::vector<int>& order) const {
  PackedBits out(n_, static_cast<int>(order.size()));
  for (int b : order)
    if (b < 0 || b >= bits_)
      throw std::out_of_range("eval::PackedBits::keep_bits: bit " + std::to_string(b) +
                              " outside 0.." + std::to_string(bits_ - 1));
  for (size_t i = 0; i < n_; ++i)
    for (size_t k = 0; k < order.size(); ++k)
      if (get(i, order[k])) out.set(i, static_cast<int>(k), true);
  return out;
}

}  // namespace cmh::eval
