// One SCAHN training step of one side, exactly as the trainer (scahn.cpp) runs it; exposed so
// tests/bench/bench_scahn_step.cpp times the real code. Includes LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <string>

#include "methods/scahn/scahn_loss.h"
#include "methods/scahn/scahn_nets.h"

namespace cmh::methods {

/// Image augmentation per picture, drawn from gen (ScahnParams::augment): "reference": with
/// probability 0.8, a 180° turn (p 0.5), a horizontal flip (p 0.5), a vertical flip (p 0.5);
/// "all_rotations": a turn by 90, 180 or 270° in place of the 180° one. x: [n, C, H, W].
torch::Tensor scahn_augment(const torch::Tensor& x, torch::Generator& gen, const std::string& rule = "reference");

/// The reference's text augmentation, RandomErasure(fraction): in every row of text [n, T],
/// int(fraction · T) positions drawn uniformly without replacement are set to 0.
torch::Tensor scahn_erase_text(const torch::Tensor& text, double fraction, torch::Generator& gen);

/// The rest of a step after the side's forward pass on the two batches stacked [b1; b2]: writes
/// both batches' tanh(h) into `same`, computes scahn_loss against `other` and `same`, and takes one
/// step of `opt`. b1, b2: positions into the training set; labels: [n, L] of the training set;
/// codes: the bank B [n, k].
ScahnLossTerms scahn_step(const ScahnOutputs& out, const torch::Tensor& b1, const torch::Tensor& b2,
                          const torch::Tensor& labels, const torch::Tensor& other, torch::Tensor& same,
                          const torch::Tensor& codes, const ScahnWeights& w, torch::optim::Optimizer& opt);

}  // namespace cmh::methods
