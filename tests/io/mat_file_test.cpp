// MatReader/MatWriter round trips (v5 and v7.3) and the errors bad files give.
#include <catch2/catch.hpp>

#include <matio.h>

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

namespace {
// A 1×1 struct `data` with a 2×3 double field X1, a uint8 field P and a nested struct `meta`
// holding `mean` (1×3 single), written with matio as MATLAB's save would.
void write_struct_file(const std::string& path, bool v73) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, v73 ? MAT_FT_MAT73 : MAT_FT_MAT5);
  REQUIRE(mat);
  size_t one[2] = {1, 1}, d23[2] = {2, 3}, d22[2] = {2, 2}, d13[2] = {1, 3};
  static double x1[] = {1, 4, 2, 5, 3, 6};
  static uint8_t px[] = {9, 8, 7, 6};
  static float mean[] = {0.5f, 0.25f, 0.125f};
  const char* top_fields[] = {"X1", "P", "meta"};
  const char* meta_fields[] = {"mean"};
  matvar_t* meta = Mat_VarCreateStruct("meta", 2, one, meta_fields, 1);
  Mat_VarSetStructFieldByName(meta, "mean", 0, Mat_VarCreate("mean", MAT_C_SINGLE, MAT_T_SINGLE, 2, d13, mean, MAT_F_DONT_COPY_DATA));
  matvar_t* data = Mat_VarCreateStruct("data", 2, one, top_fields, 3);
  Mat_VarSetStructFieldByName(data, "X1", 0, Mat_VarCreate("X1", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d23, x1, MAT_F_DONT_COPY_DATA));
  Mat_VarSetStructFieldByName(data, "P", 0, Mat_VarCreate("P", MAT_C_UINT8, MAT_T_UINT8, 2, d22, px, MAT_F_DONT_COPY_DATA));
  Mat_VarSetStructFieldByName(data, "meta", 0, meta);
  REQUIRE(Mat_VarWrite(mat, data, MAT_COMPRESSION_ZLIB) == 0);
  Mat_VarFree(data);
  Mat_Close(mat);
}
}  // namespace

TEST_CASE("a variable can name a field of a struct, and a struct says which fields it has", "[io]") {
  cmh::test::TempDir dir;
  for (bool v73 : {false, true}) {
    CAPTURE(v73);
    const std::string path = dir / (v73 ? "s73.mat" : "s5.mat");
    write_struct_file(path, v73);
    MatReader r(path);
    CHECK(r.has("data"));
    CHECK(r.has("data.X1"));
    CHECK(r.has("data.meta.mean"));
    CHECK_FALSE(r.has("data.X2"));
    CHECK(r.info("data").cls == MatClass::kStruct);
    CHECK(r.info("data").fields == std::vector<std::string>{"X1", "P", "meta"});
    CHECK(r.info("data.X1").shape() == "2x3");
    CHECK(to_row_major(r.read_double("data.X1")) == std::vector<double>{1, 2, 3, 4, 5, 6});
    CHECK(r.read_uint8("data.P").data == std::vector<uint8_t>{9, 8, 7, 6});
    CHECK(r.read_float("data.meta.mean").data == std::vector<float>{0.5f, 0.25f, 0.125f});
    // The struct itself, a missing field, a field of a non-struct, a missing top-level name.
    CHECK_THROWS_WITH(r.read_double("data"), Catch::Contains("struct with fields X1, P, meta") &&
                                                 Catch::Contains("'data.X1'"));
    CHECK_THROWS_WITH(r.read_double("data.X2"), Catch::Contains("no field 'X2'") && Catch::Contains("X1, P, meta"));
    CHECK_THROWS_WITH(r.read_double("data.X1.y"), Catch::Contains("not a struct"));
    CHECK_THROWS_WITH(r.read_double("X1"), Catch::Contains("a struct with fields X1, P, meta") &&
                                               Catch::Contains("'data.X1'"));
  }
}

TEST_CASE("uint8 arrays read whole or in slabs along any axis give the same values", "[io]") {
  cmh::test::TempDir dir;
  const std::vector<size_t> dims = {3, 4, 2, 5};  // e.g. h × w × c × n
  std::vector<uint8_t> px(3 * 4 * 2 * 5);
  for (size_t k = 0; k < px.size(); ++k) px[k] = static_cast<uint8_t>(k * 7 + 3);
  for (int variant = 0; variant < 3; ++variant) {  // v5 zlib, v5 plain, v7.3
    CAPTURE(variant);
    const std::string path = dir / ("p" + std::to_string(variant) + ".mat");
    { MatWriter(path, variant == 2, variant == 0).write("I", dims, px.data()); }
    MatReader r(path);
    CHECK(r.slab_reads_are_cheap("I") == (variant == 2));
    CHECK(r.read_uint8("I").data == px);
    for (size_t axis = 0; axis < 4; ++axis) {
      const size_t first = 1, count = dims[axis] - 1;
      const MatArray<uint8_t> s = r.read_uint8_slab("I", axis, first, count);
      REQUIRE(s.dims[axis] == count);
      // Column-major index of (i0, i1, i2, i3) in the full array, with axis `axis` offset by `first`.
      size_t at = 0;
      for (size_t i3 = 0; i3 < s.dims[3]; ++i3)
        for (size_t i2 = 0; i2 < s.dims[2]; ++i2)
          for (size_t i1 = 0; i1 < s.dims[1]; ++i1)
            for (size_t i0 = 0; i0 < s.dims[0]; ++i0) {
              size_t idx[4] = {i0, i1, i2, i3};
              idx[axis] += first;
              const size_t full = idx[0] + dims[0] * (idx[1] + dims[1] * (idx[2] + dims[2] * idx[3]));
              REQUIRE(s.data[at++] == px[full]);
            }
    }
  }
}

TEST_CASE("v7.3 picture arrays are written one HDF5 chunk per item, in slabs, and the file stays readable and writable",
          "[io]") {
  cmh::test::TempDir dir;
  // 64 x 64 x 3 x 5,500 = 67.6 MB: more than one 64 MB write slab, so the second slab's offset counts.
  const std::vector<size_t> dims = {64, 64, 3, 5500};
  const size_t per_item = 64 * 64 * 3;
  std::vector<uint8_t> px(per_item * 5500);
  for (size_t k = 0; k < px.size(); ++k) px[k] = static_cast<uint8_t>((k * 2654435761u) >> 13);
  const std::string path = dir / "big.mat";
  {
    MatWriter w(path, true);
    w.write_text("before", "written by matio");
    w.write("IAll", dims, px.data());
    const std::vector<double> after = {1, 2, 3};
    w.write("after", {1, 3}, after.data());  // matio's handle was reopened
  }
  MatReader r(path);
  CHECK(r.info("IAll").cls == cmh::io::MatClass::kUInt8);
  CHECK(r.info("IAll").shape() == "64x64x3x5500");
  CHECK(r.item_chunk("IAll", 3) == 1);  // one item per chunk: a random item inflates only itself
  CHECK(r.read_uint8("IAll").data == px);
  const MatArray<uint8_t> last = r.read_uint8_slab("IAll", 3, 5499, 1);
  CHECK(std::equal(last.data.begin(), last.data.end(), px.begin() + 5499 * per_item));
  CHECK(r.read_tree("before").text == "written by matio");
  CHECK(r.read_double("after").data == std::vector<double>{1, 2, 3});
  // The same name twice is refused with the file named, not a crash.
  MatWriter again(dir / "twice.mat", true);
  again.write("IAll", {2, 2, 3, 2}, px.data());
  CHECK_THROWS_WITH(again.write("IAll", {2, 2, 3, 2}, px.data()), Catch::Contains("twice.mat") && Catch::Contains("IAll"));
}

TEST_CASE("a v7.3 array in thousands of tiny chunks (as matio writes one) reads back exactly, whole and in slabs",
          "[io]") {
  cmh::test::TempDir dir;
  // matio chunks a compressed v7.3 array into 4 KB chunks: 64 x 64 x 3 x 3,000 uint8 is ~9,000 of
  // them, more than one HDF5 read is allowed to touch, so every read below is cut into pieces.
  const std::vector<size_t> dims = {64, 64, 3, 3000};
  std::vector<uint8_t> px(64 * 64 * 3 * 3000);
  for (size_t k = 0; k < px.size(); ++k) px[k] = static_cast<uint8_t>((k * 40503u) >> 7);
  const std::string path = dir / "matio.mat";
  {
    mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT73);
    REQUIRE(mat);
    std::vector<size_t> d = dims;
    matvar_t* v = Mat_VarCreate("IAll", MAT_C_UINT8, MAT_T_UINT8, 4, d.data(), px.data(), MAT_F_DONT_COPY_DATA);
    REQUIRE(Mat_VarWrite(mat, v, MAT_COMPRESSION_ZLIB) == 0);
    Mat_VarFree(v);
    Mat_Close(mat);
  }
  MatReader r(path);
  REQUIRE(r.item_chunk("IAll", 3) >= 1);
  REQUIRE(r.item_chunk("IAll", 0) * r.item_chunk("IAll", 1) * r.item_chunk("IAll", 2) * r.item_chunk("IAll", 3) <= 4096);
  CHECK(r.read_uint8("IAll").data == px);
  // Items 1,234..2,233 (an item slab that starts inside a chunk) and rows 5..60 (axis 0).
  const MatArray<uint8_t> items = r.read_uint8_slab("IAll", 3, 1234, 1000);
  CHECK(std::equal(items.data.begin(), items.data.end(), px.begin() + 1234 * 64 * 64 * 3));
  const MatArray<uint8_t> rows = r.read_uint8_slab("IAll", 0, 5, 56);
  bool same = true;
  for (size_t rest = 0; rest < 64 * 3 * 3000; ++rest)
    for (size_t i0 = 0; i0 < 56; ++i0) same = same && rows.data[rest * 56 + i0] == px[rest * 64 + 5 + i0];
  CHECK(same);
}
