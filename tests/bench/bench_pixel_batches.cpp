// Random training batches of 224x224 pictures, read three ways from one v7.3 IAll (DCMH's layout):
// held in memory (what every version before the pixel cache did: the set costs its size in RAM),
// from the NCHW pixel cache (harness/data/pixel_cache: pread per run of items; warm = in the page
// cache, cold = dropped from it before every batch, so the disk is read), and straight from the
// HDF5 file item by item (the alternative to a cache: each item inflates the compressed chunk it
// lies in). Counter items_per_second = pictures delivered per second, to set against what a GPU
// step consumes (README, "GPU").
//
//   cmake -S . -B build -DCMHBENCH_BENCH=ON && cmake --build build -j2 --target bench_pixel_batches
//   build/tests/bench/bench_pixel_batches                        # makes a 2,000-item IAll in /tmp
//   CMH_BENCH_DECL=path/mirflickr25k.toml build/tests/bench/bench_pixel_batches   # a declared set
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include "data/declaration.h"
#include "data/pixel_cache.h"
#include "data/pixel_reader.h"
#include "io/mat_file.h"

namespace {

namespace fs = std::filesystem;
using cmh::data::Dataset;

constexpr size_t kBatch = 128;

// The declared set: CMH_BENCH_DECL, else a generated 2,000-item 224x224 v7.3 IAll (random pixels,
// compressed as matio writes it) with a declaration beside it.
struct Source {
  fs::path dir;
  std::string decl;
  bool generated = false;
  Source() {
    if (const char* d = std::getenv("CMH_BENCH_DECL"); d && *d) {
      decl = d;
      return;
    }
    dir = fs::temp_directory_path() / ("cmhbench-bench-pixels-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    generated = true;
    const size_t n = 2000, s = 224;
    std::vector<uint8_t> iall(n * 3 * s * s);
    std::mt19937 rng(1);
    for (auto& v : iall) v = static_cast<uint8_t>(rng() >> 24);
    std::vector<double> labels(n * 4, 0.0), text(n * 8, 0.0);
    for (size_t i = 0; i < n; ++i) labels[(i % 4) * n + i] = 1, text[(i % 8) * n + i] = 1;
    {
      cmh::io::MatWriter w((dir / "px.mat").string(), true);
      w.write("LAll", {n, 4}, labels.data());
      w.write("YAll", {n, 8}, text.data());
      w.write("IAll", {s, s, 3, n}, iall.data());
    }
    decl = (dir / "px.toml").string();
    std::ofstream(decl) << "name = \"bench-pixels\"\n[protocol]\nseed = 1\nquery = 100\ntrain = 1000\n"
                        << "[labels]\nfile = \"px.mat\"\nvariable = \"LAll\"\n[text]\nfile = \"px.mat\"\nvariable = \"YAll\"\n"
                        << "[image]\nfile = \"px.mat\"\nvariable = \"IAll\"\nkind = \"pixels\"\npixel_layout = \"hwcn\"\n";
  }
  ~Source() {
    std::error_code ec;
    if (generated) fs::remove_all(dir, ec);
  }
  Dataset load(cmh::data::PixelStore store) const {
    cmh::data::DatasetDeclaration d = cmh::data::parse_declaration_file(decl);
    d.image->pixel_store = store;
    if (generated) d.image->cache_dir = (dir / "cache").string();
    return cmh::data::load_dataset(d);
  }
};

const Source& source() {
  static const Source s;
  return s;
}

// One shuffled epoch's worth of batch indices, redrawn when used up (as the deep methods draw).
struct Batches {
  std::vector<int64_t> order;
  size_t at = 0;
  std::mt19937 rng{7};
  explicit Batches(size_t n) : order(n) {
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
  }
  const int64_t* next() {
    if (at + kBatch > order.size()) at = 0;
    if (at == 0) std::shuffle(order.begin(), order.end(), rng);
    const int64_t* b = order.data() + at;
    at += kBatch;
    return b;
  }
};

void run(benchmark::State& state, const Dataset& d, bool cold) {
  const auto& m = d.image;
  std::vector<uint8_t> out(kBatch * m.channels * m.height * m.width);
  Batches batches(m.n);
  int fd = -1;
  if (cold && m.pixel_cache) fd = ::open(m.pixel_cache->path().c_str(), O_RDONLY);
  for (auto _ : state) {
    if (fd >= 0) {
      state.PauseTiming();
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // the next batch comes from the disk
      state.ResumeTiming();
    }
    cmh::data::read_pixel_items(m, batches.next(), kBatch, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  if (fd >= 0) ::close(fd);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

void BM_batch_held_in_memory(benchmark::State& state) {
  static const Dataset d = source().load(cmh::data::PixelStore::kMemory);
  run(state, d, false);
}

void BM_batch_pixel_cache_warm(benchmark::State& state) {
  static const Dataset d = source().load(cmh::data::PixelStore::kCache);
  run(state, d, false);
}

void BM_batch_pixel_cache_cold(benchmark::State& state) {
  static const Dataset d = source().load(cmh::data::PixelStore::kCache);
  run(state, d, true);
}

// Each of 8 random items as its own one-item hyperslab of the v7.3 file (a whole batch would take
// minutes: every item inflates the band of chunks it lies in).
void BM_batch_hdf5_per_item(benchmark::State& state) {
  const cmh::data::DatasetDeclaration decl = cmh::data::parse_declaration_file(source().decl);
  const cmh::data::PixelReader reader(*decl.image);
  Batches batches(reader.size());
  size_t bytes = 0;
  constexpr size_t kFew = 8;
  for (auto _ : state) {
    const int64_t* b = batches.next();
    for (size_t k = 0; k < kFew; ++k) {
      const std::vector<uint8_t> item = reader.read(static_cast<size_t>(b[k]), 1);
      bytes += item.size();
      benchmark::DoNotOptimize(item.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kFew));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

}  // namespace

BENCHMARK(BM_batch_held_in_memory)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_batch_pixel_cache_warm)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_batch_pixel_cache_cold)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_batch_hdf5_per_item)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
