// The base of the deep methods (MLSPH, SCAHN, DCMH): what they share around their own nets, loss
// and epoch body. It chooses the image backbone from the shared parameters (DeepParams), owns the
// training device, makes the state every epoch works on (generator, the training items' labels
// and texts, memory banks, one SGD optimiser per net) and encodes in batches with the BatchNorm
// switch (bn_at_encode). ../shared/design/METHODS.md § Common training skeleton. Includes
// LibTorch: .cpp files only.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "method.h"
#include "methods/common/deep_params.h"
#include "methods/common/training.h"
#include "methods/nets/image_nets.h"
#include "methods/nets/pretrained_weights.h"

namespace cmh::methods {

class DeepMethod : public Method {
 public:
  /// sign(codes) of each item, 256 items at a time, with no gradients and BatchNorm in eval
  /// mode (running statistics) unless bn_at_encode = "train"; the nets are back in train mode after.
  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) final;
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) final;

 protected:
  /// `name`: the registry name (messages, checkpoints); `paper_net`: the backbone image_net =
  /// "auto" picks for pictures over 64 px.
  DeepMethod(std::string name, std::string paper_net);

  /// The two nets as modules (modes, device, optimisers, checkpoints) ...
  virtual torch::nn::Module& image_module() = 0;
  virtual torch::nn::Module& text_module() = 0;
  /// ... and their real-valued codes [n, k] for a batch already on the device (sign gives the bits).
  virtual torch::Tensor image_codes(const torch::Tensor& images) = 0;
  virtual torch::Tensor text_codes(const torch::Tensor& texts) = 0;

  /// The start of fit: seeds LibTorch's global generator with the cell's seed (module
  /// initialisers draw from it, so the nets built next are the seed's), then chooses the image
  /// backbone from `p` (choices named in ctx.notes). Keeps what encoding needs of `p`.
  std::shared_ptr<nets::ImageBackbone> image_backbone(const data::Dataset& d, const DeepParams& p, RunContext& ctx);

  /// Refuses fewer training items than one batch, naming the method and the fix.
  void require_batch(int64_t n, int64_t batch_size) const;

  /// What the epochs work on, made once the nets are built, in this order: the nets go to the
  /// cell's device; the cell's generator (every draw of training: banks, batches, augmentation;
  /// on the CPU); the training items' labels and texts on the device; the memory banks drawn
  /// from the generator; an SGD optimiser per net at `lr`.
  struct Training {
    Training(DeepMethod& method, const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx,
             double lr);
    Training(const Training&) = delete;
    Training& operator=(const Training&) = delete;
    torch::Device device;
    torch::Generator gen;
    torch::Tensor labels, text;  ///< [n, L], [n, T] rows of the training items
    training::MemoryBanks banks;
    torch::optim::SGD image_opt, text_opt;
    training::TrainingParts parts;  ///< all of the above that run_epochs checkpoints
  };

  /// The start of every epoch: both optimisers at learning rate `lr`, both nets in train mode.
  void start_epoch(Training& t, double lr);

  /// One epoch of the alternation MLSPH and DCMH share (training::alternating_epoch) on this
  /// method's nets: the image pass feeds the image net the training pictures at each batch's
  /// positions, the text pass the text net their texts; `loss(out, pos, other_bank, own_bank)`
  /// gives a step's Terms. Starts the epoch at `lr`; the caller refreshes the codes.
  template <class Terms, class Loss>
  training::PassTerms<Terms> alternating_epoch(Training& t, const data::Dataset& d, const std::vector<int64_t>& train,
                                               int64_t batch, double lr, Loss&& loss) {
    start_epoch(t, lr);
    return training::alternating_epoch<Terms>(
        t.parts, static_cast<int64_t>(train.size()), batch,
        [&](const torch::Tensor& pos) { return image_codes(image_input(d, train, pos).to(t.device)); },
        [&](const torch::Tensor& pos) { return text_codes(t.text.index({pos})); }, std::forward<Loss>(loss));
  }

  /// The image net's input (pictures resized and normalised for the backbone, or feature rows),
  /// on the CPU: of dataset `items`, or of the training items at positions `pos` of `train`.
  torch::Tensor image_input(const data::Dataset& d, const std::vector<int64_t>& items) const;
  torch::Tensor image_input(const data::Dataset& d, const std::vector<int64_t>& train, const torch::Tensor& pos) const;

  const std::string& name() const { return name_; }
  const torch::Device& device() const { return device_; }

 private:
  eval::PackedBits encode(const std::vector<int64_t>& items,
                          const std::function<torch::Tensor(const std::vector<int64_t>&)>& codes);

  std::string name_, paper_net_;
  int64_t image_size_ = 0;
  nets::InputNormalization image_input_;  // what the backbone's weights expect
  bool bn_train_at_encode_ = false;
  torch::Device device_{torch::kCPU};
};

/// A deep method whose two nets each give a batch's real-valued codes directly (MLSPH, DCMH);
/// the method builds image_net_ and text_net_ in fit. SCAHN's nets give stages and a fusion.
template <class ImageNet, class TextNet>
class CodeNetsMethod : public DeepMethod {
 protected:
  using DeepMethod::DeepMethod;
  ImageNet image_net_{nullptr};
  TextNet text_net_{nullptr};

 private:
  torch::nn::Module& image_module() final { return *image_net_; }
  torch::nn::Module& text_module() final { return *text_net_; }
  torch::Tensor image_codes(const torch::Tensor& images) final { return image_net_->forward(images); }
  torch::Tensor text_codes(const torch::Tensor& texts) final { return text_net_->forward(texts); }
};

}  // namespace cmh::methods
