// One MLSPH training step (forward, loss, backward, SGD) on the CPU, image and text side, at the
// shapes of the default synthetic set: batch 128, 2,500 training items, 32x32 pictures through
// the small CNN, 1,386-d tags through the paper's text net (4,096 wide), 64 bits.
// mlsph_step.py is the same step in PyTorch's Python frontend; compare_mlsph_step.sh runs both.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>

#include "methods/mlsph/mlsph_loss.h"
#include "methods/nets/image_nets.h"
#include "methods/mlsph/mlsph_text_net.h"
#include "methods/common/training.h"
#include "step_bench.h"

namespace {

constexpr int64_t kBatch = 128, kTrain = 2500, kBits = 64, kLabels = 24, kTextDim = 1386, kPixels = 32;

struct Banks : cmh::bench::StepBanks {
  Banks() : StepBanks(kTrain, kLabels, kBits) {}
};

using cmh::bench::set_threads;

void BM_mlsph_image_step(benchmark::State& state) {
  set_threads(state);
  Banks b;
  auto backbone = cmh::nets::make_image_backbone("small_cnn");
  auto head = torch::nn::Linear(backbone->feature_dim(), kBits);
  std::vector<torch::Tensor> params = backbone->parameters();
  for (auto& p : head->parameters()) params.push_back(p);
  torch::optim::SGD opt(params, torch::optim::SGDOptions(0.01));
  const auto x = torch::randn({kBatch, 3, kPixels, kPixels});
  const auto pos = torch::randperm(kTrain).narrow(0, 0, kBatch);
  auto step = [&] {
    auto f = torch::tanh(head(backbone->forward(x)));
    b.F.index_put_({pos}, f.detach());
    auto t = cmh::methods::mlsph_loss(f, b.labels.index({pos}), b.labels, b.G, b.F, b.B.index({pos}), {1.0, 1.4, 0.1, 10.0});
    cmh::training::descend(opt, t.total);
  };
  step();  // warm-up, as the Python twin does: first-touch of weights and gradients is not a step
  for (auto _ : state) step();
}

void BM_mlsph_text_step(benchmark::State& state) {
  set_threads(state);
  Banks b;
  cmh::methods::MlsphTextNet net(kTextDim, kBits, 4096);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01));
  const auto y = (torch::rand({kBatch, kTextDim}) < 0.0034).to(torch::kFloat32);
  const auto pos = torch::randperm(kTrain).narrow(0, 0, kBatch);
  auto step = [&] {
    auto g = net->forward(y);
    b.G.index_put_({pos}, g.detach());
    auto t = cmh::methods::mlsph_loss(g, b.labels.index({pos}), b.labels, b.F, b.G, b.B.index({pos}), {1.0, 1.4, 0.1, 10.0});
    cmh::training::descend(opt, t.total);
  };
  step();  // warm-up, as the Python twin does
  for (auto _ : state) step();
}

}  // namespace

BENCHMARK(BM_mlsph_image_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_mlsph_text_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

int main(int argc, char** argv) { return cmh::bench::run_step_benchmarks(argc, argv, {}); }
