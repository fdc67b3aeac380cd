// The on-disk NCHW pixel cache (harness/data/pixel_cache): a cached set gives the same items as a
// held one from every file format and axis order, is reused when it matches its source and made
// again when it does not, and refuses a folder it cannot write with the fix in the message.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/error.h"
#include "data/dataset_checks.h"
#include "data/declaration.h"
#include "data/pixel_cache.h"
#include "io/mat_file.h"
#include "test_util.h"

using namespace cmh::data;
using cmh::io::MatWriter;
using cmh::test::col_major;
namespace fs = std::filesystem;

namespace {

// n items of 3 × h × w pixels, value a function of every index; labels and text for n items.
constexpr size_t kN = 37, kC = 3, kH = 4, kW = 5;
uint8_t value(size_t in, size_t ic, size_t ih, size_t iw) { return uint8_t(7 * in + 50 * ic + 11 * ih + 3 * iw + 1); }

struct PixelFixture {
  cmh::test::TempDir dir;

  /// data.mat with LAll, YAll and the pixels as IAll (MATLAB h × w × c × n, DCMH's order) and
  /// Inchw (n × c × h × w); `salt` changes one pixel so that the file's content differs.
  void write(bool v73, bool compress, uint8_t salt = 0) const {
    std::vector<double> labels(kN * 2), text(kN * 3);
    for (size_t i = 0; i < kN; ++i) labels[i * 2 + i % 2] = 1, text[i * 3 + i % 3] = 1;
    std::vector<uint8_t> hwcn(kN * kC * kH * kW), nchw(hwcn.size());
    for (size_t in = 0; in < kN; ++in)
      for (size_t ic = 0; ic < kC; ++ic)
        for (size_t ih = 0; ih < kH; ++ih)
          for (size_t iw = 0; iw < kW; ++iw) {
            hwcn[ih + kH * (iw + kW * (ic + kC * in))] = value(in, ic, ih, iw);
            nchw[in + kN * (ic + kC * (ih + kH * iw))] = value(in, ic, ih, iw);
          }
    hwcn[5] = uint8_t(hwcn[5] + salt);
    nchw[5] = uint8_t(nchw[5] + salt);
    MatWriter w(dir / "data.mat", v73, compress);
    w.write("LAll", {kN, 2}, col_major(labels, kN, 2).data());
    w.write("YAll", {kN, 3}, col_major(text, kN, 3).data());
    w.write("IAll", {kH, kW, kC, kN}, hwcn.data());
    w.write("Inchw", {kN, kC, kH, kW}, nchw.data());
  }

  /// Writes the declaration d.toml of the pixel variable `var` and returns its path.
  std::string declaration(const std::string& var, const std::string& layout, const std::string& store,
                          const std::string& cache_dir = "cache") const {
    std::ofstream(dir / "d.toml") << "name = \"px\"\n[protocol]\nseed = 1\nquery = 5\ntrain = 10\n"
                                  << "[labels]\nfile = \"data.mat\"\nvariable = \"LAll\"\n"
                                  << "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\n"
                                  << "[image]\nfile = \"data.mat\"\nvariable = \"" << var
                                  << "\"\nkind = \"pixels\"\npixel_layout = \"" << layout << "\"\npixel_store = \""
                                  << store << "\"\ncache_dir = \"" << cache_dir << "\"\n";
    return dir / "d.toml";
  }

  Dataset load(const std::string& var, const std::string& layout, const std::string& store,
               const std::string& cache_dir = "cache", size_t slab_bytes = kPixelSlabBytes) const {
    return load_dataset(parse_declaration_file(declaration(var, layout, store, cache_dir)), slab_bytes);
  }
};

std::vector<uint8_t> items_of(const Modality& m, const std::vector<int64_t>& items) {
  std::vector<uint8_t> out(items.size() * m.channels * m.height * m.width);
  read_pixel_items(m, items.data(), items.size(), out.data());
  return out;
}

// A batch as the deep methods draw them: shuffled, with a run of consecutive items and a repeat.
std::vector<int64_t> batch_items() {
  std::vector<int64_t> items(kN);
  for (size_t i = 0; i < kN; ++i) items[i] = int64_t(i);
  std::shuffle(items.begin(), items.end(), std::mt19937(3));
  items.insert(items.end(), {10, 11, 12, 13, 36, 0, 10});
  return items;
}

}  // namespace

TEST_CASE("pixel cache: a cached set gives every item exactly as the held set, from v5 and v7.3 files in either order",
          "[data][pixel_cache]") {
  PixelFixture f;
  const std::vector<int64_t> items = batch_items();
  for (int variant = 0; variant < 3; ++variant) {  // v5 compressed, v5 plain, v7.3 (HDF5, chunked)
    f.write(variant == 2, variant == 0);
    for (const auto& [var, layout] : {std::pair<std::string, std::string>{"IAll", "hwcn"}, {"Inchw", "nchw"}}) {
      // Slabs of one item, of 4 items and of the whole set: each must reorder the same.
      for (size_t slab_items : {size_t(1), size_t(4), kN}) {
        INFO("variant " << variant << " " << var << " slab " << slab_items);
        const std::string cache = "cache-" + std::to_string(variant) + "-" + var + "-" + std::to_string(slab_items);
        const Dataset held = f.load(var, layout, "memory", cache, slab_items * kC * kH * kW);
        const Dataset cached = f.load(var, layout, "cache", cache, slab_items * kC * kH * kW);
        REQUIRE_FALSE(held.image.pixel_cache);
        REQUIRE(cached.image.pixel_cache);
        CHECK(cached.image.pixels.empty());  // nothing of the set is held
        CHECK(cached.image.pixel_cache->made_now());
        CHECK(fs::path(cached.image.pixel_cache->path()).parent_path() == fs::path(f.dir / cache));
        CHECK(pixel_bytes(cached.image) == held.image.pixels.size());
        CHECK(items_of(cached.image, items) == items_of(held.image, items));
        bool all = true;  // and the held set itself is the hand-computed NCHW
        for (size_t in = 0; in < kN; ++in)
          for (size_t ic = 0; ic < kC; ++ic)
            for (size_t ih = 0; ih < kH; ++ih)
              for (size_t iw = 0; iw < kW; ++iw)
                all = all && held.image.pixels[((in * kC + ic) * kH + ih) * kW + iw] == value(in, ic, ih, iw);
        CHECK(all);
        // The summary (`data inspect`) reads the mean counted while the cache was made.
        CHECK(summarize(cached).image.density == Approx(summarize(held).image.density).epsilon(1e-12));
        CHECK(cached.image.source.find("per batch from") != std::string::npos);
      }
    }
  }
}

TEST_CASE("pixel cache: reused when it matches its source, made again when the source changed or it was cut short",
          "[data][pixel_cache]") {
  PixelFixture f;
  f.write(true, true);
  const std::vector<int64_t> items = batch_items();
  const std::vector<uint8_t> expected = items_of(f.load("IAll", "hwcn", "memory").image, items);
  const Dataset first = f.load("IAll", "hwcn", "cache");
  REQUIRE(first.image.pixel_cache->made_now());
  const std::string path = first.image.pixel_cache->path();
  const auto written = fs::last_write_time(path);

  const Dataset again = f.load("IAll", "hwcn", "cache");
  CHECK_FALSE(again.image.pixel_cache->made_now());  // verified and reused, not rewritten
  CHECK(again.image.pixel_cache->path() == path);
  CHECK(fs::last_write_time(path) == written);
  CHECK(items_of(again.image, items) == expected);

  // A cut-short cache (a disk that filled, a copy that stopped) is not trusted.
  fs::resize_file(path, fs::file_size(path) - 7);
  const Dataset remade = f.load("IAll", "hwcn", "cache");
  CHECK(remade.image.pixel_cache->made_now());
  CHECK(items_of(remade.image, items) == expected);
  // A set still open on the cut file says so instead of returning short items.
  CHECK_THROWS_WITH(items_of(first.image, {int64_t(kN - 1)}), Catch::Contains("ends early") && Catch::Contains("delete it"));

  // A cache whose header names another source is not trusted either (same name, other bytes).
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(30);
    io.put('X');
  }
  CHECK(f.load("IAll", "hwcn", "cache").image.pixel_cache->made_now());

  // Another version of the data file gets its own cache, with the new pixels.
  f.write(true, true, 9);
  const Dataset changed = f.load("IAll", "hwcn", "cache");
  CHECK(changed.image.pixel_cache->made_now());
  CHECK(changed.image.pixel_cache->path() != path);
  const std::vector<uint8_t> item0_old = items_of(remade.image, {0}), item0_new = items_of(changed.image, {0});
  CHECK(item0_old != item0_new);
  size_t differing = 0;
  for (size_t k = 0; k < item0_old.size(); ++k) differing += item0_old[k] != item0_new[k];
  CHECK(differing == 1);  // exactly the salted pixel of item 0 moved
}

TEST_CASE("pixel cache: a folder that cannot be written, and store names, give errors that name the fix",
          "[data][pixel_cache]") {
  PixelFixture f;
  f.write(false, false);
  // A path below a regular file can never be made a folder (even as root).
  CHECK_THROWS_AS(f.load("IAll", "hwcn", "cache", "data.mat/cache"), cmh::InputError);
  CHECK_THROWS_WITH(f.load("IAll", "hwcn", "cache", "data.mat/cache"),
                    Catch::Contains("data.mat/cache") && Catch::Contains("cache_dir") && Catch::Contains("[image]") && Catch::Contains("pixel_store = \"memory\""));
  CHECK_THROWS_WITH(f.load("IAll", "hwcn", "disk"),
                    Catch::Contains("pixel_store") && Catch::Contains("auto") && Catch::Contains("cache"));
  // Under "auto" a set this small is held.
  const Dataset small = f.load("IAll", "hwcn", "auto");
  CHECK_FALSE(small.image.pixel_cache);
  CHECK(small.image.pixels.size() == kN * kC * kH * kW);
  CHECK_FALSE(fs::exists(f.dir / "cache"));
  // The keys belong to pixel modalities only.
  std::ofstream(f.dir / "f.toml") << "name = \"px\"\n[protocol]\nseed = 1\nquery = 5\ntrain = 10\n"
                                  << "[labels]\nfile = \"data.mat\"\nvariable = \"LAll\"\n"
                                  << "[text]\nfile = \"data.mat\"\nvariable = \"YAll\"\npixel_store = \"cache\"\n"
                                  << "[image]\nfile = \"data.mat\"\nvariable = \"IAll\"\nkind = \"pixels\"\n"
                                  << "pixel_layout = \"hwcn\"\n";
  CHECK_THROWS_WITH(parse_declaration_file(f.dir / "f.toml"),
                    Catch::Contains("pixel_store") && Catch::Contains("kind = \"pixels\""));
}

TEST_CASE("pixel cache: v7.3 chunk extents along the item axis are read from the file", "[data][pixel_cache]") {
  PixelFixture f;
  f.write(true, true);
  const cmh::io::MatReader r(f.dir / "data.mat");
  // matio chunks a v7.3 array; whatever its extent along the items, slabs rounded to it must
  // stay within the set and cover it (the loader and the cache both round so).
  const size_t chunk = r.item_chunk("IAll", 3);
  CHECK(chunk >= 1);
  CHECK(chunk <= kN);
  CHECK(r.item_chunk("IAll", 7) == 0);  // no such axis
  f.write(false, true);
  CHECK(cmh::io::MatReader(f.dir / "data.mat").item_chunk("IAll", 3) == 0);  // v5: not chunked HDF5
}

TEST_CASE("pixel cache: loads that start together make it once, the others wait and reuse it", "[data][pixel_cache]") {
  PixelFixture f;
  f.write(true, true);
  const std::vector<uint8_t> expected = items_of(f.load("IAll", "hwcn", "memory").image, batch_items());
  // Threads open the lock file each for itself, so they contend as Slurm tasks on one node do.
  const DatasetDeclaration decl = parse_declaration_file(f.declaration("IAll", "hwcn", "cache"));
  std::vector<Dataset> loaded(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < loaded.size(); ++t) threads.emplace_back([&, t] { loaded[t] = load_dataset(decl); });
  for (auto& t : threads) t.join();
  size_t made = 0;
  for (const auto& d : loaded) {
    made += d.image.pixel_cache->made_now();
    CHECK(items_of(d.image, batch_items()) == expected);
  }
  CHECK(made == 1);
  size_t left = 0;  // no temporary file is left behind
  for (const auto& e : fs::directory_iterator(f.dir / "cache")) left += e.path().string().find(".tmp") != std::string::npos;
  CHECK(left == 0);
}
