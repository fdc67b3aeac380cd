// Fuzz target bodies (see targets.h).
#include "targets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/declaration.h"
#include "experiment.h"
#include "io/mat_file.h"

namespace cmh::fuzz {
namespace fs = std::filesystem;

const std::string& scratch_dir() {
  static const std::string dir = [] {
    const fs::path p = fs::temp_directory_path() / ("cmhbench-fuzz-" + std::to_string(getpid()));
    fs::create_directories(p);
    // 8 items, 3 labels, 4-d text, 2-d image features; column-major, items as rows.
    const double labels[24] = {1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1};
    double text[32], image[16];
    for (int k = 0; k < 32; ++k) text[k] = (k % 7) * 0.25;
    for (int k = 0; k < 16; ++k) image[k] = (k % 5) - 2.0;
    {
      io::MatWriter w((p / "data.mat").string());
      w.write("LAll", {8, 3}, labels);
      w.write("YAll", {8, 4}, text);
      w.write("XAll", {8, 2}, image);
    }
    std::ofstream(p / "d.toml") << "name = \"fuzz\"\n[protocol]\nseed = 1\nquery = 2\ntrain = 4\n"
                                   "[labels]\nfile = \"data.mat\"\nvariable = \"LAll\"\n"
                                   "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\n"
                                   "[image]\nfile = \"data.mat\"\nvariable = \"XAll\"\n";
    return p.string();
  }();
  return dir;
}

Outcome experiment_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Experiment e = parse_experiment(stand_in_registry(), text, "<fuzz>", scratch_dir());
    (void)expand_cells(e);
  } catch (const InputError&) {
    return Outcome::kRefused;
  }
  return Outcome::kAccepted;
}

namespace {

bool inside_scratch(const std::string& path) { return path.rfind(scratch_dir() + "/", 0) == 0; }

}  // namespace

Outcome declaration_one(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    data::DeclarationContext ctx;
    ctx.base_dir = scratch_dir();
    ctx.origin = "<fuzz>";
    const data::DatasetDeclaration d = data::parse_declaration_string(text, ctx);
    // Load only small files we wrote: never a synthetic set (its size is the input's to choose)
    // nor a file elsewhere on the machine.
    if (d.synthetic || d.synthetic_images || !d.labels || !d.text) return Outcome::kAccepted;
    bool ours = inside_scratch(d.labels->file) && inside_scratch(d.text->file) &&
                (!d.image || inside_scratch(d.image->file));
    if (d.split)
      for (const auto* f : {&d.split->query_file, &d.split->train_file, &d.split->database_file})
        if (*f) ours = ours && inside_scratch((*f)->file);
    if (!ours) return Outcome::kAccepted;
    const data::Dataset ds = data::load_dataset(d);
    (void)data::make_split(ds, d);
  } catch (const InputError&) {
    return Outcome::kRefused;
  }
  return Outcome::kAccepted;
}

Outcome mat_one(const uint8_t* data, size_t size) {
  Outcome outcome = Outcome::kAccepted;
  const std::string path = scratch_dir() + "/fuzz.mat";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    io::MatReader r(path);
    for (const auto& v : r.variables()) {
      try {
        (void)r.read_double(v.name);
        if (v.cls == io::MatClass::kUInt8) (void)r.read_uint8(v.name);
      } catch (const InputError&) {
        outcome = Outcome::kRefused;
      }
    }
  } catch (const InputError&) {
    outcome = Outcome::kRefused;
  }
  try {
    data::DeclarationContext ctx;
    ctx.base_dir = scratch_dir();
    ctx.origin = "<fuzz>";
    const auto d = data::parse_declaration_string(
        "name = \"fuzz\"\n[protocol]\nseed = 1\nquery = 1\ntrain = 1\n"
        "[labels]\nfile = \"fuzz.mat\"\nvariable = \"LAll\"\n[text]\nfile = \"fuzz.mat\"\nvariable = \"YAll\"\n"
        "[image]\nfile = \"fuzz.mat\"\nvariable = \"XAll\"\n",
        ctx);
    const data::Dataset ds = data::load_dataset(d);
    (void)data::make_split(ds, d);
  } catch (const InputError&) {
    outcome = Outcome::kRefused;
  }
  return outcome;
}

}  // namespace cmh::fuzz
