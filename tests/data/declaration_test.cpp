// Dataset declarations: accepted forms, refusals that name the key, and the shipped files.
#include "data/declaration.h"

#include <catch2/catch.hpp>

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data_test_util.h"
#include "test_util.h"

using namespace cmh::data;
namespace fs = std::filesystem;

namespace {

DatasetDeclaration parse(const std::string& text, const std::string& base = "/data/here") {
  DeclarationContext ctx;
  ctx.base_dir = base;
  ctx.origin = "test.toml";
  return parse_declaration_string(text, ctx);
}

const char* kDcmh = R"(
name = "mirflickr25k"
[labels]
file = "lall.mat"
variable = "LAll"
[text]
file = "yall.mat"
variable = "YAll"
[image]
file = "iall.mat"
variable = "IAll"
kind = "pixels"
pixel_layout = "hwcn"
)";

}  // namespace

TEST_CASE("declaration: a DCMH-style declaration with the default protocol",
          "[data][declaration]") {
  const DatasetDeclaration d = parse(kDcmh);
  CHECK(d.name == "mirflickr25k");
  REQUIRE(d.labels);
  CHECK(d.labels->file == "/data/here/lall.mat");
  CHECK(d.labels->variables == std::vector<std::string>{"LAll"});
  CHECK(d.labels->layout == ItemLayout::kRows);
  CHECK(d.labels->encoding == LabelEncoding::kMultiHot);
  REQUIRE(d.image);
  CHECK(d.image->kind == ModalityKind::kPixels);
  CHECK(d.image->layout == ItemLayout::kCols);  // n last in "hwcn"
  REQUIRE(d.protocol);
  CHECK(d.protocol->seed == 6);
  CHECK(d.protocol->query == 2000);
  CHECK(d.protocol->train == 10000);
  CHECK_FALSE(d.split);
}

TEST_CASE("declaration: [protocol] overrides single keys of the default", "[data][declaration]") {
  const DatasetDeclaration d = parse(std::string(kDcmh) + "[protocol]\nquery = 500\n");
  CHECK(d.protocol->seed == 6);
  CHECK(d.protocol->query == 500);
  CHECK(d.protocol->train == 10000);
}

TEST_CASE("declaration: unknown keys are refused, naming the valid ones", "[data][declaration]") {
  CHECK_THROWS_WITH(parse("colour = 3\n" + std::string(kDcmh)),
                    Catch::Contains("data::declaration: test.toml") &&
                        Catch::Contains("unknown key 'colour'") && Catch::Contains("labels") &&
                        Catch::Contains("synthetic_images"));
  const std::string typo = R"(
name = "x"
[labels]
file = "a.mat"
varible = "L"
)";
  CHECK_THROWS_WITH(parse(typo), Catch::Contains("[labels]") && Catch::Contains("'varible'") &&
                                     Catch::Contains("variable"));
}

TEST_CASE("declaration: bad values and missing keys are refused", "[data][declaration]") {
  const std::string base = R"(
name = "x"
[protocol]
seed = 1
query = 10
train = 20
[text]
file = "t.mat"
variable = "T"
[image]
file = "i.mat"
variable = "I"
)";
  auto with_labels = [&](const std::string& labels) { return parse(base + "[labels]\n" + labels); };
  CHECK_NOTHROW(with_labels("file = \"l.mat\"\nvariable = \"L\"\n"));
  CHECK_THROWS_WITH(with_labels("file = \"l.mat\"\nvariable = \"L\"\nlayout = \"row\"\n"),
                    Catch::Contains("layout") && Catch::Contains("rows, cols"));
  CHECK_THROWS_WITH(with_labels("file = \"l.mat\"\n"), Catch::Contains("'variable' is required"));
  CHECK_THROWS_WITH(with_labels("variable = \"L\"\n"), Catch::Contains("'file' is required"));
  CHECK_THROWS_WITH(with_labels("file = \"l.mat\"\nvariable = \"L\"\nencoding = \"class_index\"\n"),
                    Catch::Contains("index_base"));
  CHECK_THROWS_WITH(with_labels("file = \"l.mat\"\nvariable = 3\n"), Catch::Contains("string"));
  CHECK_THROWS_WITH(with_labels("file = \"l.mat\"\nvariable = \"L\"\nindex_base = 1\n"),
                    Catch::Contains("class_index"));
  // Pixels need a valid axis order.
  const std::string pixels = R"(
name = "mirflickr25k"
[labels]
file = "l.mat"
variable = "L"
[text]
file = "t.mat"
variable = "T"
[image]
file = "i.mat"
variable = "I"
kind = "pixels"
)";
  CHECK_THROWS_WITH(parse(pixels), Catch::Contains("pixel_layout"));
  CHECK_THROWS_WITH(parse(pixels + "pixel_layout = \"hcwn\"\nlayout = \"rows\"\n"),
                    Catch::Contains("disagrees"));
  CHECK_THROWS_WITH(parse(pixels + "pixel_layout = \"hwnc\"\n"),
                    Catch::Contains("n first or last"));
  CHECK_NOTHROW(parse(pixels + "pixel_layout = \"nchw\"\n"));
  // No protocol for an unknown name, and none with a fixed split.
  CHECK_THROWS_WITH(parse(R"(
name = "mine"
synthetic_images = true
[labels]
file = "l.mat"
variable = "L"
[text]
file = "t.mat"
variable = "T"
)"),
                    Catch::Contains("no default protocol"));
  CHECK_THROWS_WITH(parse("name = \"x\"\n[text]\nfile = \"t.mat\"\nvariable = \"T\"\n"),
                    Catch::Contains("[labels] is required"));
  CHECK_THROWS_WITH(parse("name = \"x\"\n[labels\n"), Catch::Contains("invalid TOML"));
}

TEST_CASE("declaration: a split by parts needs one variable per part", "[data][declaration]") {
  const std::string good = R"(
name = "wikipedia"
[split]
parts = ["train", "test"]
query = "test"
train = "train"
database = "train"
[labels]
file = "w.mat"
variable = ["L_tr", "L_te"]
[text]
file = "w.mat"
variable = ["T_tr", "T_te"]
[image]
file = "w.mat"
variable = ["I_tr", "I_te"]
)";
  const DatasetDeclaration d = parse(good);
  REQUIRE(d.split);
  CHECK(d.split->parts == std::vector<std::string>{"train", "test"});
  CHECK(d.split->query_parts == std::vector<std::string>{"test"});
  CHECK_FALSE(d.protocol);
  std::string one_var = good;
  one_var.replace(one_var.find("[\"T_tr\", \"T_te\"]"), 16, "\"T_tr\"");
  CHECK_THROWS_WITH(parse(one_var), Catch::Contains("[text]") && Catch::Contains("one per part"));
  std::string bad_part = good;
  bad_part.replace(bad_part.find("query = \"test\""), 14, "query = \"val\"");
  CHECK_THROWS_WITH(parse(bad_part), Catch::Contains("'val'") && Catch::Contains("train, test"));
  CHECK_THROWS_WITH(parse(good + "[protocol]\nseed = 1\n"), Catch::Contains("remove one"));
}

TEST_CASE("declaration: split by index files", "[data][declaration]") {
  const std::string text = R"(
name = "mscoco"
[split]
query = { file = "index.mat", variable = "indQ" }
train = { file = "index.mat", variable = "indT" }
index_base = 1
[labels]
file = "l.mat"
variable = "L"
[text]
file = "t.mat"
variable = "T"
[image]
file = "i.mat"
variable = "I"
)";
  const DatasetDeclaration d = parse(text);
  REQUIRE(d.split);
  CHECK(d.split->query_file->variable == "indQ");
  CHECK(d.split->index_base == 1);
  CHECK_FALSE(d.split->database_file);
  std::string no_base = text;
  no_base.erase(no_base.find("index_base = 1"), 14);
  CHECK_THROWS_WITH(parse(no_base), Catch::Contains("index_base"));
}

TEST_CASE("declaration: data_root resolves relative files", "[data][declaration]") {
  const std::string text = std::string("data_root = \"../shared/data\"\n") + kDcmh;
  CHECK(parse(text, "/p/experiments").labels->file == "/p/shared/data/lall.mat");
  DeclarationContext ctx;
  ctx.base_dir = "/p/experiments";
  ctx.data_root = "/elsewhere";
  CHECK(parse_declaration_string(text, ctx).text->file == "/elsewhere/yall.mat");
  CHECK(parse(std::string(kDcmh).replace(std::string(kDcmh).find("lall.mat"), 8, "/abs/l.mat"))
            .labels->file == "/abs/l.mat");
}

TEST_CASE("declaration: synthetic datasets and synthetic image completion", "[data][declaration]") {
  const DatasetDeclaration s = parse(R"(
name = "synthetic-small"
[synthetic]
n = 300
seed = 4
image = "pixels"
image_size = 32
[protocol]
seed = 1
query = 30
train = 100
)");
  REQUIRE(s.synthetic);
  CHECK(s.synthetic->n == 300);
  CHECK(s.synthetic->seed == 4);
  CHECK(s.synthetic->image.kind == SyntheticImageKind::kPixels);
  CHECK(s.synthetic->num_labels == SyntheticParams{}.num_labels);
  CHECK_THROWS_WITH(parse("name = \"s\"\n[synthetic]\nsize = 3\n"), Catch::Contains("'size'"));

  const std::string half = R"(
name = "mirflickr25k"
[labels]
file = "l.mat"
variable = "L"
[text]
file = "t.mat"
variable = "T"
)";
  CHECK(parse("synthetic_images = true\n" + half).synthetic_images);
  const auto t = parse(half + "[synthetic_images]\nseed = 3\ndim = 128\n");
  CHECK_FALSE(
      parse("synthetic_images = false\n" + half + "[image]\nfile = \"i.mat\"\nvariable = \"I\"\n")
          .synthetic_images);
  CHECK(t.synthetic_images->seed == 3);
  CHECK(t.synthetic_images->params.dim == 128);
  CHECK_THROWS_WITH(parse(half), Catch::Contains("synthetic_images"));
}

TEST_CASE("declaration: every shipped declaration parses", "[data][declaration]") {
  const fs::path dir(CMH_DATASETS_DIR);
  REQUIRE(fs::is_directory(dir));
  int count = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".toml") continue;
    INFO(e.path());
    const DatasetDeclaration d = parse_declaration_file(e.path().string());
    CHECK(!d.name.empty());
    CHECK((d.protocol.has_value() || d.split.has_value()));
    ++count;
  }
  CHECK(count >= 7);
  CHECK_THROWS_WITH(parse_declaration_file((dir / "absent.toml").string()),
                    Catch::Contains("does not exist"));
}

TEST_CASE("declaration: an embedded toml::table, as an experiment file passes it",
          "[data][declaration]") {
  const toml::table experiment = toml::parse(std::string("[dataset]\n") + R"(
name = "wikipedia"
data_root = "../shared/data/wikipedia"
[dataset.split]
parts = ["train", "test"]
query = "test"
train = "train"
database = "train"
[dataset.labels]
file = "wikiData.mat"
variable = ["L_tr", "L_te"]
[dataset.text]
file = "wikiData.mat"
variable = ["T_tr", "T_te"]
[dataset.image]
file = "wikiData.mat"
variable = ["I_tr", "I_te"]
)");
  DeclarationContext ctx;
  ctx.base_dir = "/p/experiments";
  ctx.origin = "paper.toml [dataset]";
  const DatasetDeclaration d = parse_declaration(*experiment["dataset"].as_table(), ctx);
  CHECK(d.name == "wikipedia");
  CHECK(d.labels->file == "/p/shared/data/wikipedia/wikiData.mat");
  CHECK(d.origin == "paper.toml [dataset]");
}
