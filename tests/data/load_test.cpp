// load_dataset on small crafted .mat files: good cases, layouts, splits, and every validation error
// (each message must name the variable at fault).
#include <matio.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>

#include "common/error.h"
#include "data/declaration.h"
#include "data/sha256.h"
#include "io/mat_file.h"
#include "test_util.h"

using namespace cmh::data;
using cmh::io::MatWriter;
using cmh::test::col_major;

namespace {

// Six items, three labels (item 5 unlabelled), 4-d text, 2-d image features; row-major.
const std::vector<double> kLabels = {1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0};
std::vector<double> text_rows() {
  std::vector<double> t(6 * 4);
  for (size_t k = 0; k < t.size(); ++k) t[k] = double(k % 5) * 0.5;
  return t;
}
const std::vector<double> kImage = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

struct Fixture {
  cmh::test::TempDir dir;
  std::string decl_path() const { return dir / "d.toml"; }

  /// Writes data.mat with LAll, YAll, XAll (rows = items) plus whatever `extra` adds.
  void write_data(const std::function<void(MatWriter&)>& extra = {}, bool v73 = false, bool compress = true) const {
    MatWriter w(dir / "data.mat", v73, compress);
    w.write("LAll", {6, 3}, col_major(kLabels, 6, 3).data());
    w.write("YAll", {6, 4}, col_major(text_rows(), 6, 4).data());
    w.write("XAll", {6, 2}, col_major(kImage, 6, 2).data());
    if (extra) extra(w);
  }

  Dataset load(const std::string& toml, size_t pixel_slab_bytes = kPixelSlabBytes) const {
    std::ofstream(decl_path()) << toml;
    return load_dataset(parse_declaration_file(decl_path()), pixel_slab_bytes);
  }

  static std::string decl(const std::string& labels_var = "LAll",
                          const std::string& text_var = "YAll",
                          const std::string& image = "variable = \"XAll\"\n",
                          const std::string& extra = "") {
    return "name = \"toy\"\n" + extra + "[protocol]\nseed = 1\nquery = 2\ntrain = 3\n" +
           "[labels]\nfile = \"data.mat\"\nvariable = \"" + labels_var + "\"\n" +
           "[text]\nfile = \"data.mat\"\nvariable = \"" + text_var + "\"\n" +
           "[image]\nfile = \"data.mat\"\n" + image;
  }
};

}  // namespace

TEST_CASE("load: a small dataset, unlabelled items counted, fingerprints recorded",
          "[data][load]") {
  Fixture f;
  f.write_data();
  const Dataset d = f.load(Fixture::decl());
  CHECK(d.name == "toy");
  CHECK(d.n == 6);
  CHECK(d.num_labels == 3);
  CHECK(std::vector<double>(d.labels.begin(), d.labels.end()) == kLabels);
  CHECK(d.unlabelled_items == 1);
  CHECK(d.text.dim == 4);
  CHECK(d.text.features[1 * 4 + 2] == Approx(text_rows()[6]));
  CHECK(d.image.dim == 2);
  CHECK(d.image.features[5 * 2 + 1] == 12.0f);
  CHECK(d.text.source == "data.mat:YAll");
  CHECK_FALSE(d.any_synthetic());
  REQUIRE(d.fingerprints.size() == 1);  // one file, fingerprinted once
  CHECK(d.fingerprints[0].sha256 == fingerprint_file(f.dir / "data.mat").sha256);
  CHECK(d.fingerprints[0].bytes > 0);
  const Split s = make_split(d, parse_declaration_file(f.decl_path()));
  CHECK(s.query.size() == 2);
  CHECK(s.database.size() == 4);
}

TEST_CASE("load: items as columns", "[data][load]") {
  Fixture f;
  f.write_data([](MatWriter& w) {
    w.write("Lt", {3, 6}, kLabels.data());  // row-major 6×3 is column-major 3×6
    w.write("Yt", {4, 6}, text_rows().data());
  });
  const std::string toml =
      "name = \"toy\"\n[protocol]\nseed = 1\nquery = 2\ntrain = 3\n"
      "[labels]\nfile = \"data.mat\"\nvariable = \"Lt\"\nlayout = \"cols\"\n"
      "[text]\nfile = \"data.mat\"\nvariable = \"Yt\"\nlayout = \"cols\"\n"
      "[image]\nfile = \"data.mat\"\nvariable = \"XAll\"\n";
  const Dataset d = f.load(toml);
  CHECK(std::vector<double>(d.labels.begin(), d.labels.end()) == kLabels);
  CHECK(d.text.features[1 * 4 + 2] == Approx(text_rows()[6]));
}

TEST_CASE("load: class-index labels, 1-based", "[data][load]") {
  Fixture f;
  const std::vector<double> cls = {1, 3, 2, 3, 1, 2};
  f.write_data([&](MatWriter& w) { w.write("C", {6, 1}, cls.data()); });
  const std::string toml =
      "name = \"toy\"\n[protocol]\nseed = 1\nquery = 2\ntrain = 3\n"
      "[labels]\nfile = \"data.mat\"\nvariable = \"C\"\n"
      "encoding = \"class_index\"\nindex_base = 1\n"
      "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\n"
      "[image]\nfile = \"data.mat\"\nvariable = \"XAll\"\n";
  const Dataset d = f.load(toml);
  CHECK(d.num_labels == 3);
  CHECK(d.labels[1 * 3 + 2] == 1);
  CHECK(d.labels[1 * 3 + 0] == 0);
  CHECK(d.unlabelled_items == 0);
  std::string zero_based = toml;
  zero_based.replace(zero_based.find("index_base = 1"), 14, "index_base = 0");
  CHECK(f.load(zero_based).num_labels == 4);
  std::string too_few = toml + "";
  too_few.replace(too_few.find("index_base = 1"), 14, "index_base = 1\nnum_classes = 2");
  CHECK_THROWS_WITH(f.load(too_few), Catch::Contains("'C'") && Catch::Contains("num_classes"));
}

TEST_CASE("load: pixels in any declared axis order become NCHW uint8", "[data][load]") {
  // Two items, 3 channels, height 2, width 3: value = 100 n + 10 c + 3 h + w, unique per pixel.
  const size_t n = 6, c = 3, h = 2, w = 3;
  auto value = [](size_t in, size_t ic, size_t ih, size_t iw) {
    return uint8_t(40 * in + 10 * ic + 3 * ih + iw);
  };
  Fixture f;
  // MATLAB size h×w×c×n ("hwcn", DCMH's IAll) and n×c×h×w ("nchw"), column-major.
  std::vector<uint8_t> hwcn(n * c * h * w), nchw(n * c * h * w);
  for (size_t in = 0; in < n; ++in)
    for (size_t ic = 0; ic < c; ++ic)
      for (size_t ih = 0; ih < h; ++ih)
        for (size_t iw = 0; iw < w; ++iw) {
          hwcn[ih + h * (iw + w * (ic + c * in))] = value(in, ic, ih, iw);
          nchw[in + n * (ic + c * (ih + h * iw))] = value(in, ic, ih, iw);
        }
  const std::vector<double> as_double(hwcn.begin(), hwcn.end());
  // Each order in a compressed v5 file (read whole), an uncompressed one and a v7.3 one (read in
  // slabs of items: one item, four items (a short last slab), or all at once).
  for (int variant = 0; variant < 3; ++variant) {
    f.write_data(
        [&](MatWriter& wr) {
          wr.write("IAll", {h, w, c, n}, hwcn.data());
          wr.write("Inchw", {n, c, h, w}, nchw.data());
          wr.write("Idouble", {h, w, c, n}, as_double.data());
        },
        variant == 2, variant == 0);
    for (size_t slab_items : {size_t(1), size_t(4), n}) {
      for (const auto& [var, layout] :
           {std::pair<std::string, std::string>{"IAll", "hwcn"}, {"Inchw", "nchw"}}) {
        INFO(var << " variant " << variant << " slab " << slab_items);
        const Dataset d = f.load(Fixture::decl(
            "LAll", "YAll",
            "variable = \"" + var + "\"\nkind = \"pixels\"\npixel_layout = \"" + layout + "\"\n"),
            slab_items * c * h * w);
        REQUIRE(d.image.kind == ModalityKind::kPixels);
        CHECK(d.image.channels == c);
        CHECK(d.image.height == h);
        CHECK(d.image.width == w);
        bool all = true;
        for (size_t in = 0; in < n; ++in)
          for (size_t ic = 0; ic < c; ++ic)
            for (size_t ih = 0; ih < h; ++ih)
              for (size_t iw = 0; iw < w; ++iw)
                all = all && d.image.pixels[((in * c + ic) * h + ih) * w + iw] == value(in, ic, ih, iw);
        CHECK(all);
      }
    }
  }
  CHECK_THROWS_WITH(
      f.load(Fixture::decl("LAll", "YAll",
                           "variable = \"Idouble\"\nkind = \"pixels\"\npixel_layout = \"hwcn\"\n")),
      Catch::Contains("data::load") && Catch::Contains("'Idouble'") && Catch::Contains("uint8"));
  CHECK_THROWS_WITH(
      f.load(Fixture::decl("LAll", "YAll",
                           "variable = \"IAll\"\nkind = \"pixels\"\npixel_layout = \"chwn\"\n")),
      Catch::Contains("'IAll'") && Catch::Contains("channels"));
}

TEST_CASE("load: validation errors name the file, the variable and the fix", "[data][load]") {
  Fixture f;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> with_nan = text_rows(), with_inf = text_rows(), non_binary = kLabels;
  with_nan[7] = nan;
  with_inf[3] = inf;
  non_binary[4] = 2;
  const std::vector<double> five_rows(5 * 4, 1.0), cube(6 * 2 * 2, 1.0);
  f.write_data([&](MatWriter& w) {
    w.write("Ynan", {6, 4}, col_major(with_nan, 6, 4).data());
    w.write("Yinf", {6, 4}, col_major(with_inf, 6, 4).data());
    w.write("Lbad", {6, 3}, col_major(non_binary, 6, 3).data());
    w.write("Yshort", {5, 4}, five_rows.data());
    w.write("Empty", {0, 4}, five_rows.data());
    w.write("Cube", {6, 2, 2}, cube.data());
  });

  SECTION("missing file") {
    std::string toml = Fixture::decl();
    toml.replace(toml.find("data.mat"), 8, "nowhere.mat");
    CHECK_THROWS_WITH(f.load(toml), Catch::Contains("data::load") && Catch::Contains("[labels]") &&
                                        Catch::Contains("nowhere.mat") &&
                                        Catch::Contains("data_root"));
  }
  SECTION("missing variable: the message lists what the file holds") {
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAl")),
                      Catch::Contains("[labels]") && Catch::Contains("'LAl'") &&
                          Catch::Contains("LAll") && Catch::Contains("YAll"));
  }
  SECTION("row counts disagree") {
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAll", "Yshort")),
                      Catch::Contains("[text]") && Catch::Contains("'Yshort'") &&
                          Catch::Contains("5 items") && Catch::Contains("'LAll'") &&
                          Catch::Contains("6"));
  }
  SECTION("NaN and Inf features") {
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAll", "Ynan")), Catch::Contains("'Ynan'") &&
                                                                 Catch::Contains("item 1") &&
                                                                 Catch::Contains("NaN"));
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAll", "Yinf")),
                      Catch::Contains("'Yinf'") && Catch::Contains("item 0, feature 3"));
  }
  SECTION("non-binary multi-hot labels") {
    CHECK_THROWS_WITH(f.load(Fixture::decl("Lbad")),
                      Catch::Contains("'Lbad'") && Catch::Contains("item 1") &&
                          Catch::Contains("0/1") && Catch::Contains("class_index"));
  }
  SECTION("empty and non-2-D matrices") {
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAll", "Empty")),
                      Catch::Contains("'Empty'") && Catch::Contains("empty"));
    CHECK_THROWS_WITH(f.load(Fixture::decl("LAll", "Cube")),
                      Catch::Contains("'Cube'") && Catch::Contains("2-D"));
  }
  SECTION("split larger than the dataset") {
    std::string toml = Fixture::decl();
    toml.replace(toml.find("train = 3"), 9, "train = 5");
    CHECK_THROWS_WITH(f.load(toml), Catch::Contains("[protocol]") && Catch::Contains("hold 6"));
  }
}

TEST_CASE("load: values beyond float range are refused", "[data][load]") {
  Fixture f;
  const std::vector<double> huge(6 * 2, 1e300);
  f.write_data([&](MatWriter& w) { w.write("Xhuge", {6, 2}, huge.data()); });
  CHECK_THROWS_WITH(
      f.load(Fixture::decl("LAll", "YAll", "variable = \"Xhuge\"\n")),
      Catch::Contains("[image]") && Catch::Contains("'Xhuge'") && Catch::Contains("float range"));
}

TEST_CASE("load: logical labels are accepted, char labels refused", "[data][load]") {
  Fixture f;
  f.write_data();
  {  // MatWriter writes numeric classes only; write logical and char variables with matio itself.
    mat_t* mat = Mat_Open((f.dir / "data.mat").c_str(), MAT_ACC_RDWR);
    REQUIRE(mat);
    std::vector<uint8_t> logical(kLabels.size());
    const std::vector<double> cm = col_major(kLabels, 6, 3);
    for (size_t k = 0; k < cm.size(); ++k) logical[k] = cm[k] != 0.0;
    size_t dims[2] = {6, 3};
    matvar_t* v = Mat_VarCreate("Llogical", MAT_C_UINT8, MAT_T_UINT8, 2, dims, logical.data(),
                                MAT_F_LOGICAL | MAT_F_DONT_COPY_DATA);
    REQUIRE(Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) == 0);
    Mat_VarFree(v);
    std::string text(18, 'x');
    v = Mat_VarCreate("Lchar", MAT_C_CHAR, MAT_T_UINT8, 2, dims, text.data(), MAT_F_DONT_COPY_DATA);
    REQUIRE(Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) == 0);
    Mat_VarFree(v);
    Mat_Close(mat);
  }
  const Dataset d = f.load(Fixture::decl("Llogical"));
  CHECK(std::vector<double>(d.labels.begin(), d.labels.end()) == kLabels);
  CHECK_THROWS_WITH(f.load(Fixture::decl("Lchar")),
                    Catch::Contains("[labels]") && Catch::Contains("'Lchar'") &&
                        Catch::Contains("char") && Catch::Contains("numeric or logical"));
}

TEST_CASE("load: split by parts (Wikipedia style) and by index files", "[data][load]") {
  Fixture f;
  // Parts: the first 4 rows are "train", the last 2 "test".
  auto rows = [](const std::vector<double>& m, size_t cols, size_t from, size_t to) {
    return col_major(std::vector<double>(m.begin() + from * cols, m.begin() + to * cols), to - from,
                     cols);
  };
  f.write_data([&](MatWriter& w) {
    w.write("L_tr", {4, 3}, rows(kLabels, 3, 0, 4).data());
    w.write("L_te", {2, 3}, rows(kLabels, 3, 4, 6).data());
    w.write("T_tr", {4, 4}, rows(text_rows(), 4, 0, 4).data());
    w.write("T_te", {2, 4}, rows(text_rows(), 4, 4, 6).data());
    w.write("I_tr", {4, 2}, rows(kImage, 2, 0, 4).data());
    w.write("I_te", {2, 2}, rows(kImage, 2, 4, 6).data());
    w.write("I_te3", {3, 2}, kImage.data());
    const std::vector<double> q = {5, 6}, t = {1, 2, 3};
    w.write("indQ", {1, 2}, q.data());
    w.write("indT", {3, 1}, t.data());
  });
  const std::string parts =
      "name = \"wiki\"\n[split]\nparts = [\"train\", \"test\"]\nquery = \"test\"\n"
      "train = \"train\"\ndatabase = \"train\"\n"
      "[labels]\nfile = \"data.mat\"\nvariable = [\"L_tr\", \"L_te\"]\n"
      "[text]\nfile = \"data.mat\"\nvariable = [\"T_tr\", \"T_te\"]\n"
      "[image]\nfile = \"data.mat\"\nvariable = [\"I_tr\", \"I_te\"]\n";
  const Dataset d = f.load(parts);
  CHECK(d.n == 6);
  CHECK(std::vector<double>(d.labels.begin(), d.labels.end()) == kLabels);
  CHECK(d.image.features[5 * 2 + 1] == 12.0f);
  CHECK(d.image.source == "data.mat:I_tr+I_te");
  REQUIRE(d.fixed_split);
  CHECK(d.fixed_split->query == std::vector<int64_t>{4, 5});
  CHECK(d.fixed_split->train == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(d.fixed_split->database == std::vector<int64_t>{0, 1, 2, 3});
  std::string bad = parts;
  bad.replace(bad.find("\"I_te\""), 6, "\"I_te3\"");
  CHECK_THROWS_WITH(f.load(bad), Catch::Contains("'I_te3'") && Catch::Contains("'L_te'"));

  // Index files, 1-based: a .mat query and a text train set; database = all non-query items.
  { std::ofstream(f.dir / "train.txt") << "# train items\n1 2\n3\n"; }
  const std::string idx =
      "name = \"idx\"\n[split]\nquery = { file = \"data.mat\", variable = "
      "\"indQ\" }\ntrain = \"train.txt\"\nindex_base = 1\n"
      "[labels]\nfile = \"data.mat\"\nvariable = \"LAll\"\n"
      "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\n"
      "[image]\nfile = \"data.mat\"\nvariable = \"XAll\"\n";
  const Dataset e = f.load(idx);
  REQUIRE(e.fixed_split);
  CHECK(e.fixed_split->query == std::vector<int64_t>{4, 5});
  CHECK(e.fixed_split->train == std::vector<int64_t>{0, 1, 2});
  CHECK(e.fixed_split->database == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(e.fingerprints.size() == 2);  // data.mat and train.txt
  { std::ofstream(f.dir / "train.txt") << "1 2 7\n"; }
  CHECK_THROWS_WITH(f.load(idx), Catch::Contains("[split]") && Catch::Contains("index 6"));
  { std::ofstream(f.dir / "train.txt") << "1 two\n"; }
  CHECK_THROWS_WITH(f.load(idx), Catch::Contains("'two'"));
}

TEST_CASE("load: synthetic images complete a dataset with real labels", "[data][load]") {
  Fixture f;
  f.write_data();
  const std::string toml =
      "name = \"toy\"\nsynthetic_images = true\n"
      "[protocol]\nseed = 1\nquery = 2\ntrain = 3\n"
      "[labels]\nfile = \"data.mat\"\nvariable = \"LAll\"\n"
      "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\n";
  const Dataset d = f.load(toml);
  CHECK(d.name == "toy (synthetic images)");
  CHECK(d.image.synthetic);
  CHECK_FALSE(d.text.synthetic);
  CHECK(d.image.n == 6);
}

TEST_CASE("load: a wholly synthetic declaration", "[data][load]") {
  Fixture f;
  const Dataset d = f.load(
      "name = \"tiny\"\n[synthetic]\nn = 50\nseed = 2\nimage_dim = 16\n"
      "[protocol]\nseed = 1\nquery = 5\ntrain = 20\n");
  CHECK(d.name == "tiny (synthetic)");
  CHECK(d.n == 50);
  CHECK(d.image.dim == 16);
  CHECK(d.image.synthetic);
  CHECK_THROWS_WITH(f.load("name = \"tiny\"\n[synthetic]\nn = 20\n"
                           "[protocol]\nseed = 1\nquery = 5\ntrain = 20\n"),
                    Catch::Contains("n = 20"));
}

TEST_CASE("load: variables can name fields of a struct (variable = \"data.X1\")", "[data][load]") {
  Fixture f;
  // One struct `data` holding L (labels), T (text) and X (image features), as many MATLAB
  // datasets store them, written with matio the way MATLAB's save does.
  {
    mat_t* mat = Mat_CreateVer((f.dir / "data.mat").c_str(), nullptr, MAT_FT_MAT5);
    REQUIRE(mat);
    size_t one[2] = {1, 1}, dl[2] = {6, 3}, dt[2] = {6, 4}, dx[2] = {6, 2};
    std::vector<double> l = col_major(kLabels, 6, 3), t = col_major(text_rows(), 6, 4), x = col_major(kImage, 6, 2);
    const char* fields[] = {"L", "T", "X"};
    matvar_t* s = Mat_VarCreateStruct("data", 2, one, fields, 3);
    Mat_VarSetStructFieldByName(s, "L", 0, Mat_VarCreate("L", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dl, l.data(), MAT_F_DONT_COPY_DATA));
    Mat_VarSetStructFieldByName(s, "T", 0, Mat_VarCreate("T", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dt, t.data(), MAT_F_DONT_COPY_DATA));
    Mat_VarSetStructFieldByName(s, "X", 0, Mat_VarCreate("X", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dx, x.data(), MAT_F_DONT_COPY_DATA));
    REQUIRE(Mat_VarWrite(mat, s, MAT_COMPRESSION_ZLIB) == 0);
    Mat_VarFree(s);
    Mat_Close(mat);
  }
  const Dataset d = f.load(Fixture::decl("data.L", "data.T", "variable = \"data.X\"\n"));
  CHECK(d.n == 6);
  CHECK(d.num_labels == 3);
  CHECK(d.text.dim == 4);
  CHECK(d.image.features == std::vector<float>(kImage.begin(), kImage.end()));
  CHECK(d.image.source.find("data.X") != std::string::npos);
  // Naming the struct itself says it is one and which fields it holds.
  CHECK_THROWS_WITH(f.load(Fixture::decl("data", "data.T", "variable = \"data.X\"\n")),
                    Catch::Contains("struct with fields L, T, X") && Catch::Contains("'data.L'"));
  CHECK_THROWS_WITH(f.load(Fixture::decl("data.Labels", "data.T", "variable = \"data.X\"\n")),
                    Catch::Contains("no field 'Labels'") && Catch::Contains("L, T, X"));
}
