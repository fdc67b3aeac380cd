// MatReader/MatWriter round trips (v5 and v7.3) and the errors bad files give.
#include <catch2/catch.hpp>

#include <fstream>

#include "common/error.h"
#include "io/mat_file.h"
#include "test_util.h"

using namespace cmh::io;

TEST_CASE("v5 and v7.3 files round-trip with MATLAB's column-major order", "[io]") {
  cmh::test::TempDir dir;
  // 2×3 matrix [[1 2 3]; [4 5 6]] stored column-major.
  const double m[] = {1, 4, 2, 5, 3, 6};
  const uint8_t px[] = {0, 255, 7, 9};
  for (bool v73 : {false, true}) {
    const std::string path = dir / (v73 ? "a73.mat" : "a5.mat");
    {
      MatWriter w(path, v73);
      w.write("M", {2, 3}, m);
      w.write("P", {2, 2}, px);
    }
    MatReader r(path);
    REQUIRE(r.has("M"));
    CHECK(r.info("M").shape() == "2x3");
    CHECK(r.info("P").cls == MatClass::kUInt8);
    auto a = r.read_double("M");
    CHECK(a.rows() == 2);
    CHECK(a.cols() == 3);
    auto rm = to_row_major(a);
    CHECK(rm == std::vector<double>{1, 2, 3, 4, 5, 6});
    auto cm = to_row_major(a, /*items_are_cols=*/true);  // 3 items of 2 values
    CHECK(cm == std::vector<double>{1, 4, 2, 5, 3, 6});
    CHECK(r.read_uint8("P").data == std::vector<uint8_t>{0, 255, 7, 9});
    CHECK(r.read_float("P").data[1] == 255.0f);
  }
}

TEST_CASE("bad .mat input gives errors that name the file, the variable and the fix", "[io]") {
  cmh::test::TempDir dir;
  const std::string path = dir / "x.mat";
  const double m[] = {1, 2};
  { MatWriter(path).write("YAll", {1, 2}, m); }
  MatReader r(path);
  try {
    r.read_double("XAll");
    FAIL("expected an error");
  } catch (const cmh::InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("XAll") != std::string::npos);
    CHECK(msg.find("YAll") != std::string::npos);  // lists what the file holds
    CHECK(msg.find(path) != std::string::npos);
  }
  CHECK_THROWS_WITH(r.read_uint8("YAll"), Catch::Contains("uint8") && Catch::Contains("double"));
  CHECK_THROWS_WITH(MatReader(dir / "missing.mat"), Catch::Contains("missing.mat"));

  // A truncated file: the first half of a valid one.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir / "cut.mat", std::ios::binary).write(bytes.data(), 100);
  CHECK_THROWS_AS([&] { MatReader c(dir / "cut.mat"); c.read_double("YAll"); }(), cmh::InputError);
}
