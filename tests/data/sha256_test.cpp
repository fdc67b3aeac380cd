// SHA-256 against the FIPS 180-4 examples and the checksums shipped with the shared data.
#include "data/sha256.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "data_test_util.h"
#include "test_util.h"

using cmh::data::Sha256;
using cmh::data::sha256_hex;

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[data][sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 is the same fed in odd-sized pieces", "[data][sha256]") {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += char('a' + i * 7 % 26);
  const std::string whole = sha256_hex(text);
  for (size_t piece : {1u, 3u, 55u, 63u, 64u, 65u, 200u}) {
    Sha256 h;
    for (size_t k = 0; k < text.size(); k += piece)
      h.update(text.data() + k, std::min(piece, text.size() - k));
    CHECK(h.hex_digest() == whole);
  }
}

TEST_CASE("fingerprint_file: size and hash of a file, and a missing file is refused",
          "[data][sha256]") {
  cmh::test::TempDir dir;
  { std::ofstream(dir / "x.bin", std::ios::binary) << "abc"; }
  const auto f = cmh::data::fingerprint_file(dir / "x.bin");
  CHECK(f.bytes == 3);
  CHECK(f.sha256 == sha256_hex("abc"));
  CHECK_THROWS_WITH(cmh::data::fingerprint_file(dir / "nope.bin"),
                    Catch::Contains("data::fingerprint") && Catch::Contains("nope.bin"));
}

TEST_CASE("fingerprints of the shared data match its SHA256SUMS", "[data][sha256][real]") {
  const std::string sums = cmh::test::shared_data("SHA256SUMS");
  CMH_SKIP_UNLESS_EXISTS(sums);
  std::ifstream in(sums);
  std::string hash, name;
  int checked = 0;
  while (in >> hash >> name) {
    CHECK(cmh::data::fingerprint_file(cmh::test::shared_data(name)).sha256 == hash);
    ++checked;
  }
  CHECK(checked >= 4);
}
