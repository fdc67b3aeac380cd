// Bit-packed binary codes and multi-hot labels: the only form in which the evaluation engine sees
// codes (64-bit words, Hamming distance by popcount). Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cmh::eval {

/// n rows of `bits` bits; bit j of row i lives in word j / 64 at position j % 64. Bits past
/// `bits` in the last word are always zero, so popcount over whole words is exact.
class PackedBits {
 public:
  static constexpr int kMaxBits = 1024;

  PackedBits() = default;
  /// All-zero rows. Throws cmh::InputError when bits is outside 1..kMaxBits (codes) — labels
  /// use the same type and may be longer, so `max_bits` can be raised by the caller.
  PackedBits(size_t n, int bits, int max_bits = kMaxBits);

  size_t size() const { return n_; }
  int bits() const { return bits_; }
  int words() const { return words_; }
  const uint64_t* row(size_t i) const { return data_.data() + i * static_cast<size_t>(words_); }
  uint64_t* row(size_t i) { return data_.data() + i * static_cast<size_t>(words_); }
  bool get(size_t i, int j) const { return (row(i)[j >> 6] >> (j & 63)) & 1u; }
  void set(size_t i, int j, bool value);

  /// Codes from real values, row-major [n, bits]: value >= 0 → bit 1 (+1), value < 0 → bit 0 (−1).
  /// sign(0) is taken as +1, the same rule methods use when they binarise.
  static PackedBits from_real(const float* values, size_t n, int bits);
  /// Rows from a 0/1 (or zero/non-zero) matrix, row-major [n, bits]: labels or {0,1} codes.
  static PackedBits from_binary(const uint8_t* values, size_t n, int bits, int max_bits = kMaxBits);
  /// Labels: multi-hot [n, num_labels] with no upper bound on the label count.
  static PackedBits labels(const uint8_t* multi_hot, size_t n, int num_labels);

  /// Rows selected by index (e.g. the query subset of a dataset's labels).
  PackedBits select(const std::vector<int64_t>& rows) const;
  /// The first `keep` bits of each row, or the bits listed in `order` (SCAHN's bit ranking).
  PackedBits keep_bits(const std::vector<int>& order) const;

 private:
  size_t n_ = 0;
  int bits_ = 0;
  int words_ = 0;
  std::vector<uint64_t> data_;
};

/// Hamming distance between two rows of `words` 64-bit words.
inline int hamming(const uint64_t* a, const uint64_t* b, int words) {
  int d = 0;
  for (int w = 0; w < words; ++w) d += __builtin_popcountll(a[w] ^ b[w]);
  return d;
}

/// True when two label rows share at least one label: the relevance rule of the protocol.
inline bool share_label(const uint64_t* a, const uint64_t* b, int words) {
  for (int w = 0; w < words; ++w)
    if (a[w] & b[w]) return true;
  return false;
}

}  // namespace cmh::eval
