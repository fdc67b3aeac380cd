// SHA-256 of files and buffers, for the data fingerprints recorded with every run (FIPS 180-4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace cmh::data {

/// Incremental SHA-256; a self-contained implementation so that fingerprints need no crypto
/// library.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t bytes);
  /// Finishes the digest and returns it as 64 lowercase hex digits; the object must not be reused.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);  // one 64-byte block
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

/// SHA-256 of a byte string, as 64 lowercase hex digits.
std::string sha256_hex(const std::string& bytes);

/// Size and SHA-256 of one file; InputError ("data::fingerprint: …") when it cannot be read.
FileFingerprint fingerprint_file(const std::string& path);

}  // namespace cmh::data
