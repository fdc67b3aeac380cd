// One SCAHN training step on the CPU, as methods/scahn/scahn.cpp runs it (sampling two disjoint
// batches, the batch from the dataset's storage, augmentation, forward of both batches together,
// loss, backward, SGD), at the shapes of the default experiment (experiments/default.toml):
// 2,500 training items, two batches of 64, 24 labels, 64 bits; the image side on 32x32 pictures
// through the small CNN (scahn_image_step) and on 512-d feature vectors through the MLP
// (scahn_image_mlp_step, the feature-image variant), the text side on 1,386-d tags.
// CPU time is the process's (all threads), as the Python twin measures it.
// scahn_step.py is the same step in PyTorch's Python frontend; compare_step.sh scahn runs both.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <vector>

#include "data/dataset.h"
#include "methods/nets/batches.h"
#include "methods/nets/image_nets.h"
#include "methods/scahn/scahn_step.h"
#include "step_bench.h"
#include "tensor/tensor_data.h"

namespace {

using cmh::methods::ScahnImageNet;
using cmh::methods::ScahnOutputs;
using cmh::methods::ScahnTextNet;

constexpr int64_t kBatch = 64, kTrain = 2500, kBits = 64, kLabels = 24, kTextDim = 1386, kPixels = 32,
                  kFeatureDim = 512;
constexpr double kLr = 0.1;  // default.toml
const cmh::methods::ScahnWeights kWeights{static_cast<double>(kBits) / 32.0, 1.0, 0.01, 2.0};

struct Banks : cmh::bench::StepBanks {
  Banks() : StepBanks(kTrain, kLabels, kBits) {}
};

// The training set's images as the dataset stores them: uint8 pictures or float features.
cmh::data::Modality image_modality(bool pixels) {
  cmh::data::Modality m;
  m.n = kTrain;
  if (pixels) {
    m.kind = cmh::data::ModalityKind::kPixels;
    m.channels = 3;
    m.height = m.width = kPixels;
    auto t = torch::randint(0, 256, {kTrain * 3 * kPixels * kPixels}, torch::kUInt8);
    m.pixels.assign(t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + t.numel());
  } else {
    m.dim = kFeatureDim;
    auto t = torch::randn({kTrain * kFeatureDim});
    m.features.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  return m;
}

// Three untimed steps, as the Python twin does: the first steps grow the heap to its working size
// (page faults on a few hundred MB, several times a steady step on the text side), and a freed
// block is not always reused at once by the next step; a training run is thousands of steps.
template <class Step>
void warm_up(Step& step) {
  for (int i = 0; i < 3; ++i) step();
}

using cmh::bench::set_threads;

void image_step(benchmark::State& state, bool pixels) {
  set_threads(state);
  Banks b;
  const auto images = image_modality(pixels);
  ScahnImageNet net(cmh::nets::make_image_backbone(pixels ? "small_cnn" : "mlp", kFeatureDim), kBits);
  net->train();
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(kLr));
  torch::Generator gen = cmh::make_generator(1);
  auto step = [&] {
    auto perm = torch::randperm(kTrain, gen, torch::kLong);
    auto b1 = perm.narrow(0, 0, kBatch), b2 = perm.narrow(0, kBatch, kBatch);
    auto x = cmh::nets::image_batch(images, cmh::nets::to_indices(perm.narrow(0, 0, 2 * kBatch)));
    if (pixels) x = cmh::methods::scahn_augment(x, gen);
    cmh::methods::scahn_step(net->forward(x), b1, b2, b.labels, b.G, b.F, b.B, kWeights, opt);
  };
  warm_up(step);
  for (auto _ : state) step();
}

void BM_scahn_image_step(benchmark::State& state) { image_step(state, true); }
void BM_scahn_image_mlp_step(benchmark::State& state) { image_step(state, false); }

void BM_scahn_text_step(benchmark::State& state) {
  set_threads(state);
  Banks b;
  const auto text = (torch::rand({kTrain, kTextDim}) < 0.0034).to(torch::kFloat32);
  ScahnTextNet net(kTextDim, kBits);
  net->train();
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(kLr));
  torch::Generator gen = cmh::make_generator(1);
  auto step = [&] {
    auto perm = torch::randperm(kTrain, gen, torch::kLong);
    auto b1 = perm.narrow(0, 0, kBatch), b2 = perm.narrow(0, kBatch, kBatch);
    const auto batch = cmh::methods::scahn_erase_text(text.index({perm.narrow(0, 0, 2 * kBatch)}), 0.2, gen);
    cmh::methods::scahn_step(net->forward(batch), b1, b2, b.labels, b.F, b.G, b.B, kWeights, opt);
  };
  warm_up(step);
  for (auto _ : state) step();
}


}  // namespace

BENCHMARK(BM_scahn_image_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0);
BENCHMARK(BM_scahn_image_mlp_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0);
BENCHMARK(BM_scahn_text_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime()->MinTime(3.0);

int main(int argc, char** argv) {
  return cmh::bench::run_step_benchmarks(argc, argv, [] {
    using cmh::bench::parameter_count;
    ScahnImageNet cnn(cmh::nets::make_image_backbone("small_cnn"), kBits);
    ScahnImageNet mlp(cmh::nets::make_image_backbone("mlp", kFeatureDim), kBits);
    ScahnTextNet text(kTextDim, kBits);
    std::printf("params scahn_image_step %lld\nparams scahn_image_mlp_step %lld\nparams scahn_text_step %lld\n",
                static_cast<long long>(parameter_count(cnn->parameters())),
                static_cast<long long>(parameter_count(mlp->parameters())),
                static_cast<long long>(parameter_count(text->parameters())));
  });
}
