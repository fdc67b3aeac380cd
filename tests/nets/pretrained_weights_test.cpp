// Publishers' weight files (written by tests/nets/publisher_weights.py with Debian's python3-torch
// and python3-torchvision, as torchvision and MatConvNet ship them) imported into our nets: the
// forward pass equals the publishers' own on the same pictures, through our archive too, and
// files that are not those nets' weights are refused with what differs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "data/dataset.h"
#include "data/declaration.h"
#include "data/synthetic.h"
#include "io/mat_file.h"
#include "methods/nets/batches.h"
#include "methods/nets/cnnf.h"
#include "methods/nets/image_nets.h"
#include "methods/nets/pretrained_weights.h"
#include "skip.h"
#include "test_util.h"

using namespace cmh;

namespace {

const std::string kPython = CMH_TEST_PYTHON;

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

data::Modality pictures(const std::string& path, size_t n, size_t side) {
  data::Modality m;
  m.kind = data::ModalityKind::kPixels;
  m.n = n;
  m.channels = 3;
  m.height = m.width = side;
  const auto bytes = read_all(path);
  REQUIRE(bytes.size() == n * 3 * side * side);
  m.pixels.assign(bytes.begin(), bytes.end());
  return m;
}

torch::Tensor floats(const std::string& path, int64_t rows, int64_t cols) {
  auto bytes = read_all(path);
  REQUIRE(bytes.size() == size_t(rows * cols * 4));
  return torch::from_blob(bytes.data(), {rows, cols}, torch::kFloat32).clone();
}

// Largest difference relative to the reference's largest magnitude.
double relative_gap(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).abs().max().item<double>() / std::max(1e-12, want.abs().max().item<double>());
}

torch::Tensor features(nets::ImageBackbone& net, const data::Modality& images, const nets::InputNormalization& input) {
  torch::NoGradGuard no_grad;
  net.eval();
  std::vector<int64_t> items(images.n);
  for (size_t k = 0; k < images.n; ++k) items[k] = static_cast<int64_t>(k);
  return net.forward(nets::image_batch(images, items, 0, &input));
}

struct Files {
  test::TempDir dir;
  bool ok = false;
  Files() {
    ok = test::run_command("env -i HOME=\"$HOME\" PATH=/usr/bin:/bin " + kPython + " -c 'import torch, torchvision, scipy.io'")
             .exit_code == 0;
    if (ok) {
      const auto r = test::run_command(kPython + " " + std::string(CMH_SOURCE_DIR) + "/tests/nets/publisher_weights.py " + dir.path.string());
      INFO(r.output);
      REQUIRE(r.exit_code == 0);
    }
  }
};

Files& files() {
  static Files f;  // written once per test process (the CNN-F file is 244 MB)
  return f;
}

}  // namespace

TEST_CASE("torchvision's .pth (zip and legacy) give torchvision's own forward pass", "[nets][weights][python]") {
  if (!files().ok) CMH_SKIP(kPython << " lacks torch/torchvision/scipy (Debian: python3-torchvision python3-scipy)");
  const std::string dir = files().dir.path.string();
  const data::Modality images = pictures(dir + "/pictures64.u8", 4, 64);
  const torch::Tensor want = floats(dir + "/resnet18-features.f32", 4, 512);
  for (const char* file : {"resnet18.pth", "resnet18-legacy.pth"}) {
    INFO(file);
    auto net = nets::make_image_backbone("resnet18");
    const nets::ImportedWeights w = nets::load_backbone_weights(*net, "resnet18", dir + "/" + file);
    CHECK(w.net == "resnet18");
    CHECK(w.input.is_imagenet());
    CHECK(w.notes.front().find("classifier") != std::string::npos);
    CHECK(relative_gap(features(*net, images, w.input), want) < 1e-5);
    // A fresh net is far from it: the comparison can fail.
    auto fresh = nets::make_image_backbone("resnet18");
    CHECK(relative_gap(features(*fresh, images, nets::InputNormalization::imagenet()), want) > 0.1);
  }
  // Imported into our archive, then loaded from it: the same numbers, and the source recorded.
  const nets::ImportedWeights w = nets::import_weights(dir + "/resnet18.pth");
  nets::save_imported_weights(w, dir + "/out/resnet18-imagenet.pt");
  auto net = nets::make_image_backbone("resnet18");
  const nets::ImportedWeights back = nets::load_backbone_weights(*net, "resnet18", dir + "/out/resnet18-imagenet.pt");
  CHECK(back.sha256 == w.sha256);
  CHECK(back.format.find("cmhbench weights (imported from torch.save state dict") == 0);
  CHECK(relative_gap(features(*net, images, back.input), want) < 1e-5);
}

TEST_CASE("MatConvNet's imagenet-vgg-f.mat layout gives MatConvNet's CNN-F forward pass", "[nets][weights][python]") {
  if (!files().ok) CMH_SKIP(kPython << " lacks torch/torchvision/scipy (Debian: python3-torchvision python3-scipy)");
  const std::string dir = files().dir.path.string();
  const data::Modality images = pictures(dir + "/pictures224.u8", 2, 224);
  const torch::Tensor want = floats(dir + "/vggf-features.f32", 2, 4096);
  auto net = nets::make_cnnf();
  const nets::ImportedWeights w = nets::load_backbone_weights(*net, "cnnf", dir + "/vggf.mat");
  CHECK(w.net == "cnnf");
  CHECK(w.input.scale == 1.0);
  REQUIRE(w.input.mean.dim() == 3);  // the 224 x 224 average image
  const std::vector<double> lrn = w.lrn.at("norm1");  // size N, alpha · N, beta, kappa of [5 1 0.05 0.75]
  REQUIRE(lrn.size() == 4);
  CHECK(lrn[0] == 5);
  CHECK(lrn[1] == Approx(0.25));
  CHECK(lrn[2] == Approx(0.75));
  CHECK(lrn[3] == 1);
  CHECK(relative_gap(features(*net, images, w.input), want) < 1e-4);
  // Our archive keeps the average image and the LRN settings.
  nets::save_imported_weights(nets::import_weights(dir + "/vggf.mat"), dir + "/out/cnnf-imagenet.pt");
  auto again = nets::make_cnnf();
  const nets::ImportedWeights back = nets::load_backbone_weights(*again, "cnnf", dir + "/out/cnnf-imagenet.pt");
  CHECK(back.input.description == w.input.description);
  CHECK(back.lrn == w.lrn);
  REQUIRE(back.input.mean.defined());
  CHECK(back.input.mean.equal(w.input.mean));
  CHECK(back.input.scale == w.input.scale);
  CHECK_FALSE(back.input.std.defined());
  CHECK(back.loaded == w.loaded);
  CHECK(relative_gap(features(*again, images, back.input), want) < 1e-4);
  // With torchvision's normalisation or torch's LRN defaults instead, it is not the same net.
  auto plain = nets::make_cnnf();
  nets::load_backbone_weights(*plain, "cnnf", dir + "/vggf.mat");
  CHECK(relative_gap(features(*plain, images, nets::InputNormalization::imagenet()), want) > 0.05);
}

TEST_CASE("files that are not a net's weights are refused with what differs", "[nets][weights][python]") {
  if (!files().ok) CMH_SKIP(kPython << " lacks torch/torchvision/scipy (Debian: python3-torchvision python3-scipy)");
  const std::string dir = files().dir.path.string();
  CHECK_THROWS_WITH(nets::import_weights(dir + "/resnet18.pth", "resnet34"),
                    Catch::Contains("not resnet34") && Catch::Contains("missing: layer1.2") &&
                        Catch::Contains("look like resnet18"));
  CHECK_THROWS_WITH(nets::import_weights(dir + "/vggf.mat", "resnet18"), Catch::Contains("imported as cnnf"));
  CHECK_THROWS_WITH(nets::import_weights(dir + "/pictures64.u8"), Catch::Contains("first bytes"));
  CHECK_THROWS_WITH(nets::import_weights(dir + "/missing.pth"), Catch::Contains("cannot read"));
  CHECK_THROWS_WITH(nets::import_weights(dir + "/resnet18.pth", "vgg16"), Catch::Contains("unknown net 'vgg16'"));
  // Cut short: half of the zip, half of the legacy file.
  for (const char* file : {"resnet18.pth", "resnet18-legacy.pth"}) {
    const auto bytes = read_all(dir + "/" + file);
    std::ofstream(dir + "/cut.pth", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    CHECK_THROWS_AS(nets::import_weights(dir + "/cut.pth"), InputError);
  }
  // A .mat file without MatConvNet's layers.
  std::ofstream(dir + "/x.py") << ("import numpy, scipy.io\nscipy.io.savemat('" + dir + "/plain.mat', {'X': numpy.ones((2, 2))})\n");
  REQUIRE(test::run_command(kPython + " " + dir + "/x.py").exit_code == 0);
  CHECK_THROWS_WITH(nets::import_weights(dir + "/plain.mat"), Catch::Contains("without a 'layers' variable"));
}

TEST_CASE("cmhbench weights import writes the archive, or refuses and writes nothing", "[nets][weights][python][cli]") {
  if (!files().ok) CMH_SKIP(kPython << " lacks torch/torchvision/scipy (Debian: python3-torchvision python3-scipy)");
  const std::string dir = files().dir.path.string();
  const std::string exe = CMHBENCH_EXE;
  auto r = test::run_command(exe + " weights import " + dir + "/resnet18.pth --net resnet34 --out " + dir + "/cli/r.pt 2>&1");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("not resnet34") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/cli/r.pt"));
  r = test::run_command(exe + " weights import " + dir + "/resnet18-legacy.pth --out " + dir + "/cli/r.pt 2>&1");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("resnet18 weights, 120 tensors") != std::string::npos);
  CHECK(std::filesystem::exists(dir + "/cli/r.pt"));
  r = test::run_command(exe + " weights inspect " + dir + "/cli/r.pt 2>&1");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("cmhbench weights (imported from torch.save state dict (legacy format") != std::string::npos);
}

namespace {
// `cmhbench data synth` pictures (v7.3, 40 items of 64 px) and a pixel declaration of them.
std::string synth_pixels(const std::string& dir) {
  const auto r = test::run_command(std::string(CMHBENCH_EXE) + " data synth --out " + dir + "/px.mat --n 40 --image pixels --size 64 --v73 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  std::ofstream(dir + "/px.toml") << "name = \"px\"\n[protocol]\nseed = 1\nquery = 10\ntrain = 20\n"
                                     "[labels]\nfile = \"px.mat\"\nvariable = \"LAll\"\n[text]\nfile = \"px.mat\"\nvariable = \"YAll\"\n"
                                     "[image]\nfile = \"px.mat\"\nvariable = \"IAll\"\nkind = \"pixels\"\npixel_layout = \"hwcn\"\n";
  return dir + "/px.toml";
}
}  // namespace

TEST_CASE("cmhbench features: the net's output for every item, equal after a kill and a restart", "[nets][features][python][cli]") {
  if (!files().ok) CMH_SKIP(kPython << " lacks torch/torchvision/scipy (Debian: python3-torchvision python3-scipy)");
  const std::string dir = files().dir.path.string();
  const std::string exe = CMHBENCH_EXE;
  const std::string decl = synth_pixels(dir);
  const std::string args = " features " + decl + " --net resnet18 --weights " + dir + "/resnet18.pth --image-size 64 --batch 2 --threads 1";
  auto r = test::run_command(exe + args + " --out " + dir + "/f/whole.mat 2>&1");
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("pixels read per batch") != std::string::npos);
  const io::MatArray<float> whole = io::MatReader(dir + "/f/whole.mat").read_float("XAll");
  REQUIRE(whole.dims == std::vector<size_t>{40, 512});  // items are rows
  CHECK(io::MatReader(dir + "/f/whole.mat").has("weights_sha256"));
  // Features of drawn pictures load as synthetic, as the pictures do.
  CHECK(data::drawn_by_synth(dir + "/f/whole.mat", {"XAll"}));
  CHECK(data::drawn_by_synth(dir + "/px.mat", {"IAll"}));
  CHECK_FALSE(data::drawn_by_synth(dir + "/vggf.mat", {"layers"}));  // a file data synth did not write

  // Row k is the net's output for item k of the dataset as load_dataset reads it.
  const data::Dataset d = data::load_dataset(data::parse_declaration_file(decl));
  auto net = nets::make_image_backbone("resnet18");
  const nets::ImportedWeights w = nets::load_backbone_weights(*net, "resnet18", dir + "/resnet18.pth");
  torch::Tensor direct;
  {
    torch::NoGradGuard no_grad;
    net->eval();
    direct = net->forward(nets::image_batch(d.image, {0, 39}, 64, &w.input));
  }
  for (int64_t j = 0; j < 512; j += 37) {
    CHECK(whole.data[0 + 40 * size_t(j)] == Approx(direct[0][j].item<float>()).margin(1e-5));
    CHECK(whole.data[39 + 40 * size_t(j)] == Approx(direct[1][j].item<float>()).margin(1e-5));
  }

  // Killed after a few rows: the next run resumes from them and writes the same file.
  const std::string out = dir + "/f/resumed.mat";
  std::vector<std::string> argv;
  std::istringstream words(args + " --out " + out);
  for (std::string a; words >> a;) argv.push_back(a);
  const pid_t pid = test::spawn(exe, argv, dir + "/f/kill.log");
  for (int i = 0; i < 600 && !(std::filesystem::exists(out + ".partial") && std::filesystem::file_size(out + ".partial") >= 4 * 512 * 4); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  REQUIRE(std::filesystem::exists(out + ".partial"));
  REQUIRE_FALSE(std::filesystem::exists(out));
  r = test::run_command(exe + args + " --out " + out + " 2>&1");
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("resumed after") != std::string::npos);
  CHECK(io::MatReader(out).read_float("XAll").data == whole.data);
  CHECK_FALSE(std::filesystem::exists(out + ".partial"));

  // Bad requests: no weights, a features declaration, a net the weights are not.
  r = test::run_command(exe + " features " + decl + " --out " + dir + "/f/x.mat 2>&1");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--weights is required") != std::string::npos);
  r = test::run_command(exe + " features " + decl + " --net resnet34 --weights " + dir + "/resnet18.pth --out " + dir + "/f/x.mat 2>&1");
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("not resnet34") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/f/x.mat"));
}
