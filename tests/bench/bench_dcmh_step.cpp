// One DCMH training step (forward, bank write, loss with its four logged values, backward, SGD)
// on the CPU, image and text side, at the default experiment's shapes: batch 16, 2,500 training
// items, 32x32 pictures through the small CNN and a linear 64-bit head, 1,386-d tags through the
// two-layer text net at width 1,024 (default.toml's CPU size), 64 bits.
// dcmh_step.py is the same step in PyTorch's Python frontend; compare_step.sh dcmh runs both.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>

#include "methods/dcmh/dcmh_loss.h"
#include "methods/nets/image_nets.h"
#include "methods/common/training.h"
#include "step_bench.h"

namespace {

constexpr int64_t kBatch = 16, kTrain = 2500, kBits = 64, kLabels = 24, kTextDim = 1386, kPixels = 32, kHidden = 1024;

struct Banks : cmh::bench::StepBanks {
  Banks() : StepBanks(kTrain, kLabels, kBits) {}
};

using cmh::bench::set_threads;

const cmh::methods::DcmhWeights kWeights{1.0, 1.0};

void BM_dcmh_image_step(benchmark::State& state) {
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
    auto f = head(backbone->forward(x));
    b.F.index_put_({pos}, f.detach());
    auto t = cmh::methods::dcmh_loss(f, b.labels.index({pos}), b.labels, b.G, b.F, b.B.index({pos}), pos, kWeights);
    cmh::training::descend(opt, t.total);
  };
  step();  // warm-up, as the Python twin does
  for (auto _ : state) step();
}

void BM_dcmh_text_step(benchmark::State& state) {
  set_threads(state);
  Banks b;
  torch::nn::Sequential net(torch::nn::Linear(kTextDim, kHidden), torch::nn::ReLU(), torch::nn::Linear(kHidden, kBits));
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01));
  const auto y = (torch::rand({kBatch, kTextDim}) < 0.0034).to(torch::kFloat32);
  const auto pos = torch::randperm(kTrain).narrow(0, 0, kBatch);
  auto step = [&] {
    auto g = net->forward(y);
    b.G.index_put_({pos}, g.detach());
    auto t = cmh::methods::dcmh_loss(g, b.labels.index({pos}), b.labels, b.F, b.G, b.B.index({pos}), pos, kWeights);
    cmh::training::descend(opt, t.total);
  };
  step();
  for (auto _ : state) step();
}

}  // namespace

BENCHMARK(BM_dcmh_image_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_dcmh_text_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

int main(int argc, char** argv) {
  return cmh::bench::run_step_benchmarks(argc, argv, [] {
    using cmh::bench::parameter_count;
    auto backbone = cmh::nets::make_image_backbone("small_cnn");
    auto head = torch::nn::Linear(backbone->feature_dim(), kBits);
    torch::nn::Sequential text(torch::nn::Linear(kTextDim, kHidden), torch::nn::ReLU(), torch::nn::Linear(kHidden, kBits));
    std::printf("params dcmh_image_step %lld\nparams dcmh_text_step %lld\n",
                static_cast<long long>(parameter_count(backbone->parameters()) + parameter_count(head->parameters())),
                static_cast<long long>(parameter_count(text->parameters())));
  });
}
