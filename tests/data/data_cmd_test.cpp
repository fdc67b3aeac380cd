// `cmhbench data`: synth writes the DCMH conventions, inspect reads them back; bad input refused.
#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "common/error.h"
#include "data/declaration.h"
#include "data/sha256.h"
#include "data/synthetic.h"
#include "data_test_util.h"
#include "io/mat_file.h"
#include "test_util.h"

using cmh::cli::data_command;
using namespace cmh::data;

namespace {

/// Runs data_command with std::cout captured.
std::string run(const cmh::cli::Args& args, int* rc = nullptr) {
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  try {
    const int r = data_command(args);
    if (rc) *rc = r;
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return captured.str();
}

}  // namespace

TEST_CASE("data synth writes LAll/YAll/XAll and inspect reads them back", "[data][cli]") {
  cmh::test::TempDir dir;
  const std::string mat = dir / "syn.mat";
  int rc = -1;
  const std::string out =
      run({"synth", "--out", mat, "--n", "120", "--seed", "3", "--dim", "16"}, &rc);
  CHECK(rc == 0);
  CHECK_THAT(out,
             Catch::Contains("LAll") && Catch::Contains("XAll") && Catch::Contains("synthetic"));
  cmh::io::MatReader r(mat);
  CHECK(r.info("LAll").shape() == "120x24");
  CHECK(r.info("YAll").shape() == "120x1386");
  CHECK(r.info("XAll").shape() == "120x16");

  // The file matches the generator row for row.
  SyntheticParams p;
  p.n = 120;
  p.seed = 3;
  p.image.dim = 16;
  const Dataset g = generate_synthetic(p);
  std::ofstream(dir / "syn.toml")
      << "name = \"syn\"\n[protocol]\nseed = 2\nquery = 20\ntrain = 50\n"
         "[labels]\nfile = \"syn.mat\"\nvariable = \"LAll\"\n"
         "[text]\nfile = \"syn.mat\"\nvariable = \"YAll\"\n"
         "[image]\nfile = \"syn.mat\"\nvariable = \"XAll\"\n";
  const Dataset d = load_dataset(parse_declaration_file(dir / "syn.toml"));
  CHECK(d.labels == g.labels);
  CHECK(d.text.features == g.text.features);
  CHECK(d.image.features == g.image.features);

  const std::string report = run({"inspect", dir / "syn.toml"}, &rc);
  CHECK(rc == 0);
  CHECK_THAT(report, Catch::Contains("items        120") &&
                         Catch::Contains("query 20, train 50, database 100") &&
                         Catch::Contains("features 120 x 16"));
  CHECK_THAT(report, Catch::Contains(fingerprint_file(mat).sha256));
}

TEST_CASE("data synth --image pixels writes IAll as DCMH does (MATLAB h x w x 3 x n, v7.3)",
          "[data][cli]") {
  cmh::test::TempDir dir;
  const std::string mat = dir / "pix.mat";
  const std::string out = run({"synth", "--out", mat, "--n", "40", "--seed", "5", "--image",
                               "pixels", "--size", "32", "--v73"});
  CHECK_THAT(out, Catch::Contains("MAT v7.3"));
  cmh::io::MatReader r(mat);
  CHECK(r.info("IAll").shape() == "32x32x3x40");
  CHECK(r.info("IAll").cls == cmh::io::MatClass::kUInt8);
  SyntheticParams p;
  p.n = 40;
  p.seed = 5;
  p.image.kind = SyntheticImageKind::kPixels;
  const Dataset g = generate_synthetic(p);
  std::ofstream(dir / "pix.toml") << "name = \"pix\"\n[protocol]\nseed = 2\nquery = 5\ntrain = 10\n"
                                     "[labels]\nfile = \"pix.mat\"\nvariable = \"LAll\"\n"
                                     "[text]\nfile = \"pix.mat\"\nvariable = \"YAll\"\n"
                                     "[image]\nfile = \"pix.mat\"\nvariable = \"IAll\"\n"
                                     "kind = \"pixels\"\npixel_layout = \"hwcn\"\n";
  const Dataset d = load_dataset(parse_declaration_file(dir / "pix.toml"));
  CHECK(d.image.pixels == g.image.pixels);
  const std::string report = run({"inspect", dir / "pix.toml"});
  // Read back from the file, the data are still known to be synthetic: the file says so.
  CHECK(d.image.synthetic);
  CHECK(d.text.synthetic);
  CHECK_THAT(report, Catch::Contains("pixels 40 x 3 x 32 x 32") &&
                         Catch::Contains("SYNTHETIC: pix.mat:IAll (drawn by cmhbench data synth)"));
}

TEST_CASE("data synth --like keeps a declared dataset's labels and text and draws only its pictures", "[data][cli]") {
  cmh::test::TempDir dir;
  // A "real" dataset: labels and text of 60 items in their own files (as MIRFLICKR's are).
  SyntheticParams p;
  p.n = 60;
  p.seed = 11;
  const Dataset real = generate_synthetic(p);
  {
    std::vector<double> l(real.labels.begin(), real.labels.end()), t(real.text.features.begin(), real.text.features.end());
    cmh::io::MatWriter w(dir / "real-lall.mat");
    w.write("LAll", {60, real.num_labels}, cmh::test::col_major(l, 60, real.num_labels).data());
    cmh::io::MatWriter y(dir / "real-yall.mat");
    y.write("YAll", {60, real.text.dim}, cmh::test::col_major(t, 60, real.text.dim).data());
  }
  std::ofstream(dir / "real.toml") << "name = \"real\"\nsynthetic_images = true\n[protocol]\nseed = 2\nquery = 10\ntrain = 20\n"
                                      "[labels]\nfile = \"real-lall.mat\"\nvariable = \"LAll\"\n"
                                      "[text]\nfile = \"real-yall.mat\"\nvariable = \"YAll\"\n";
  const std::string out = run({"synth", "--like", dir / "real.toml", "--image", "pixels", "--size", "24", "--v73",
                               "--seed", "4", "--out", dir / "real-iall.mat"});
  CHECK_THAT(out, Catch::Contains("real-yall.mat") && Catch::Contains("image modality SYNTHETIC"));
  CHECK(cmh::io::MatReader(dir / "real-iall.mat").info("IAll").shape() == "24x24x3x60");
  std::ofstream(dir / "full.toml") << "name = \"real\"\n[protocol]\nseed = 2\nquery = 10\ntrain = 20\n"
                                      "[labels]\nfile = \"real-lall.mat\"\nvariable = \"LAll\"\n"
                                      "[text]\nfile = \"real-yall.mat\"\nvariable = \"YAll\"\n"
                                      "[image]\nfile = \"real-iall.mat\"\nvariable = \"IAll\"\nkind = \"pixels\"\n"
                                      "pixel_layout = \"hwcn\"\n";
  const Dataset d = load_dataset(parse_declaration_file(dir / "full.toml"));
  CHECK(d.labels == real.labels);
  CHECK(d.text.features == real.text.features);
  CHECK_FALSE(d.text.synthetic);
  CHECK(d.image.synthetic);  // named so in every table made from it
  // The pictures are those the loader draws for the same labels and seed.
  Dataset again = load_dataset(parse_declaration_file(dir / "real.toml"));
  again.image = {};
  SyntheticImageParams ip;
  ip.kind = SyntheticImageKind::kPixels;
  ip.size = 24;
  add_synthetic_images(again, 4, ip);
  CHECK(d.image.pixels == again.image.pixels);
  // Options that the declared dataset fixes are refused, naming the fix.
  CHECK_THROWS_WITH(run({"synth", "--like", dir / "real.toml", "--n", "10", "--out", dir / "x.mat"}),
                    Catch::Contains("--n") && Catch::Contains("--like"));
  CHECK_THROWS_WITH(run({"synth", "--data-root", dir.path.string(), "--out", dir / "x.mat"}),
                    Catch::Contains("--data-root") && Catch::Contains("--like"));
}

TEST_CASE("data inspect on the shipped MIRFLICKR declaration", "[data][cli][real]") {
  CMH_SKIP_UNLESS_EXISTS(cmh::test::shared_data("mirflickr25k/mirflickr25k-lall.mat"));
  const std::string report =
      run({"inspect", cmh::test::shipped_declaration("mirflickr25k-shared.toml"), "--data-root",
           cmh::test::shared_data("mirflickr25k")});
  CHECK_THAT(
      report,
      Catch::Contains("mirflickr25k (synthetic images)") &&
          Catch::Contains("items        20015 (0 without labels)") &&
          Catch::Contains("mean 3.779") &&
          Catch::Contains("query 2000, train 10000, database 18015 (query starts 9633 3242 302") &&
          Catch::Contains("173eec1fb2603bb54c893467c127325556fbe5bc91dd7e647d136a8e4e9fd07d") &&
          Catch::Contains("SYNTHETIC"));
}

TEST_CASE("data: bad input is refused with InputError", "[data][cli]") {
  cmh::test::TempDir dir;
  CHECK_THROWS_AS(run({}), cmh::InputError);
  CHECK_THROWS_WITH(run({"frobnicate"}), Catch::Contains("inspect, synth"));
  CHECK_THROWS_WITH(run({"synth"}), Catch::Contains("out"));
  CHECK_THROWS_WITH(run({"synth", "--out", dir / "x.mat", "--image", "jpeg"}),
                    Catch::Contains("features, pixels"));
  CHECK_THROWS_WITH(run({"synth", "--out", dir / "x.mat", "--n", "0"}),
                    Catch::Contains("data::synthetic"));
  CHECK_THROWS_WITH(run({"inspect", dir / "missing.toml"}), Catch::Contains("does not exist"));
  CHECK_THROWS_AS(run({"inspect"}), cmh::InputError);
  CHECK(run({"synth", "--help"}).find("default 20015") != std::string::npos);
}
