// Pieces of the common deep training skeleton (../shared/design/METHODS.md § Common training
// skeleton) shared by MLSPH, SCAHN and DCMH: memory banks, batch sampling, learning-rate
// schedules, atomic checkpoints. Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "method.h"

namespace cmh::training {

/// F, G ∈ R^{n×k} (latest image / text outputs of every training item) and B = sign(F + G).
struct MemoryBanks {
  torch::Tensor F, G, B;  // [n, k] float
  /// Standard-normal start (seeded), as the reference code does.
  void init(int64_t n, int64_t k, torch::Generator& gen);
  /// B = sign(F + G), once per epoch (sign(0) stays 0, as torch.sign in the reference).
  void refresh_codes();
  /// Moves the banks to the training device (after init: the draws stay on the CPU generator).
  void to(const torch::Device& device);
};

/// The reference sampling: a fresh permutation of the n training items per step, first `batch`
/// of it (sampling with replacement across steps). Returns positions into the training set.
torch::Tensor sample_batch(int64_t n, int64_t batch, torch::Generator& gen);

/// linspace(start, end, epochs + 1)[epoch] (MLSPH).
double linear_lr(int64_t epoch, int64_t epochs, double start, double end);
/// start · (end / start)^(epoch / epochs) (SCAHN, DCMH: per-epoch geometric decay).
double geometric_lr(int64_t epoch, int64_t epochs, double start, double end);

/// Writes an archive atomically (temporary file + rename), so a kill never leaves a torn file.
void save_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

/// Sub-archive helpers: a module or optimizer stored under a key of a parent archive.
void write_module(torch::serialize::OutputArchive& parent, const std::string& key, torch::nn::Module& m);
void read_module(torch::serialize::InputArchive& parent, const std::string& key, torch::nn::Module& m);
void write_optimizer(torch::serialize::OutputArchive& parent, const std::string& key, torch::optim::Optimizer& o);
void read_optimizer(torch::serialize::InputArchive& parent, const std::string& key, torch::optim::Optimizer& o);

/// One descent step on `loss`: the last step's gradients are dropped (set to none rather than
/// zeroed: backward then hands each parameter its fresh gradient instead of adding it to zeros,
/// two passes over every weight fewer per step, the same values), then backward and the
/// optimiser's step. Every deep method's training step ends here.
void descend(torch::optim::Optimizer& opt, const torch::Tensor& loss);

/// Sets the learning rate of every parameter group.
void set_lr(torch::optim::SGD& opt, double lr);

/// Deep copy of a module's parameters and buffers (for best-epoch selection).
std::vector<torch::Tensor> snapshot(torch::nn::Module& m);
void restore(torch::nn::Module& m, const std::vector<torch::Tensor>& state);

/// What a deep method trains; run_epochs checkpoints all of it.
struct TrainingParts {
  torch::nn::Module& image_net;
  torch::nn::Module& text_net;
  torch::optim::Optimizer& image_opt;
  torch::optim::Optimizer& text_opt;
  MemoryBanks& banks;
  torch::Generator& gen;
};

/// The loss terms of both passes of one alternating epoch, each averaged over its steps.
template <class Terms>
struct PassTerms {
  Terms image, text;
};

/// One epoch of the alternation MLSPH and DCMH share (DCMH's scheme): n / batch image steps, each
/// writing its batch's outputs into bank F and stepping the image net, then as many text steps
/// writing into bank G. `image(pos)` and `text(pos)` give a batch's outputs for training
/// positions `pos`; `loss(out, pos, other_bank, own_bank)` its Terms, whose `.total` is minimised
/// and which `accumulate(terms, steps)`. The caller sets the learning rates and refreshes B.
template <class Terms, class ImageForward, class TextForward, class Loss>
PassTerms<Terms> alternating_epoch(TrainingParts& parts, int64_t n, int64_t batch, ImageForward&& image,
                                   TextForward&& text, Loss&& loss) {
  const int64_t steps = n / batch;
  PassTerms<Terms> out;
  auto pass = [&](auto&& forward, torch::Tensor& own, const torch::Tensor& other, torch::optim::Optimizer& opt,
                  Terms& terms) {
    for (int64_t s = 0; s < steps; ++s) {
      const auto pos = sample_batch(n, batch, parts.gen);
      auto y = forward(pos);
      own.index_put_({pos}, y.detach());
      auto t = loss(y, pos, other, own);
      descend(opt, t.total);
      terms.accumulate(t, steps);
    }
  };
  pass(image, parts.banks.F, parts.banks.G, parts.image_opt, out.image);
  pass(text, parts.banks.G, parts.banks.F, parts.text_opt, out.text);
  return out;
}

/// Per-epoch values (loss terms, learning rate) returned by one epoch of training.
using EpochValues = std::vector<std::pair<std::string, double>>;

/// The training device of a cell: torch::Device(ctx.device) ("cpu", "cuda", "cuda:N"; the runner
/// has checked it). Networks, banks and batches go there; codes come back through pack_signs.
/// On CUDA it first makes cuDNN, cuBLAS and the other kernels deterministic, once per process.
torch::Device device_of(const RunContext& ctx);

/// Loads a checkpoint with its tensors mapped to `device`; the generator state stays on the CPU.
void load_checkpoint(torch::serialize::InputArchive& archive, const std::string& path, const torch::Device& device);

/// The epoch loop every deep method shares: resumes from `ctx.checkpoint_dir/<method>.pt` when it
/// exists (networks, optimisers, banks, RNG state, best-epoch state, on the banks' device); runs `epoch(e)` for the
/// remaining epochs; scores each epoch through ctx.selection.score when ctx.selection.rule is
/// not "final" and keeps the best networks; logs; writes the checkpoint atomically; after a stop
/// request throws cmh::Interrupted once the checkpoint is on disk; finally restores the best
/// networks. The same cell resumed gives the codes of an uninterrupted run.
void run_epochs(const std::string& method, int64_t epochs, RunContext& ctx,
                TrainingParts parts, const std::function<EpochValues(int64_t epoch)>& epoch);

}  // namespace cmh::training
