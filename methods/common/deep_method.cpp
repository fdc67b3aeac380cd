// The deep-method base.
#include "methods/common/deep_method.h"

#include "common/error.h"
#include "common/paths.h"
#include "data/dataset.h"
#include "methods/nets/backbone_choice.h"
#include "methods/nets/batches.h"
#include "tensor/tensor_data.h"

namespace cmh::methods {

namespace {

training::MemoryBanks drawn_banks(int64_t n, int64_t k, torch::Generator& gen, const torch::Device& device) {
  training::MemoryBanks banks;
  banks.init(n, k, gen);
  banks.to(device);  // after the draws: they stay on the CPU generator
  return banks;
}

// Moves both nets to the cell's device before their optimisers are made.
torch::Device nets_to_device(torch::nn::Module& image, torch::nn::Module& text, const RunContext& ctx) {
  const torch::Device device = training::device_of(ctx);
  image.to(device);
  text.to(device);
  return device;
}

}  // namespace

DeepMethod::DeepMethod(std::string name, std::string paper_net)
    : name_(std::move(name)), paper_net_(std::move(paper_net)) {}

std::shared_ptr<nets::ImageBackbone> DeepMethod::image_backbone(const data::Dataset& d, const DeepParams& p,
                                                                RunContext& ctx) {
  torch::manual_seed(ctx.seed);  // module initialisers draw from the global generator
  auto choice = nets::choose_image_backbone(name_, d.image, p.image_net, p.image_size,
                                            resolve_from(p.pretrained, ctx.experiment_dir), paper_net_, ctx.notes);
  image_size_ = choice.image_size;
  image_input_ = choice.input;
  bn_train_at_encode_ = p.bn_at_encode == "train";
  return choice.net;
}

void DeepMethod::require_batch(int64_t n, int64_t batch_size) const {
  if (n < batch_size)
    throw InputError(name_ + ": " + std::to_string(n) + " training items but batch_size " +
                     std::to_string(batch_size) + "; lower batch_size");
}

DeepMethod::Training::Training(DeepMethod& m, const data::Dataset& d, const std::vector<int64_t>& train,
                               RunContext& ctx, double lr)
    : device(nets_to_device(m.image_module(), m.text_module(), ctx)),
      gen(make_generator(ctx.seed)),
      labels(label_rows(d, train).to(device)),
      text(feature_rows(d.text, train, m.name_).to(device)),
      banks(drawn_banks(static_cast<int64_t>(train.size()), ctx.bits, gen, device)),
      image_opt(m.image_module().parameters(), torch::optim::SGDOptions(lr)),
      text_opt(m.text_module().parameters(), torch::optim::SGDOptions(lr)),
      parts{m.image_module(), m.text_module(), image_opt, text_opt, banks, gen} {
  m.device_ = device;
}

void DeepMethod::start_epoch(Training& t, double lr) {
  training::set_lr(t.image_opt, lr);
  training::set_lr(t.text_opt, lr);
  image_module().train();
  text_module().train();
}

torch::Tensor DeepMethod::image_input(const data::Dataset& d, const std::vector<int64_t>& items) const {
  return nets::image_batch(d.image, items, image_size_, &image_input_);
}

torch::Tensor DeepMethod::image_input(const data::Dataset& d, const std::vector<int64_t>& train,
                                      const torch::Tensor& pos) const {
  std::vector<int64_t> items;
  for (int64_t p : nets::to_indices(pos)) items.push_back(train[static_cast<size_t>(p)]);
  return image_input(d, items);
}

eval::PackedBits DeepMethod::encode_image(const data::Dataset& d, const std::vector<int64_t>& items) {
  return encode(items, [&](const std::vector<int64_t>& part) { return image_codes(image_input(d, part).to(device_)); });
}

eval::PackedBits DeepMethod::encode_text(const data::Dataset& d, const std::vector<int64_t>& items) {
  return encode(items, [&](const std::vector<int64_t>& part) {
    return text_codes(feature_rows(d.text, part, name_).to(device_));
  });
}

eval::PackedBits DeepMethod::encode(const std::vector<int64_t>& items,
                                    const std::function<torch::Tensor(const std::vector<int64_t>&)>& codes) {
  torch::NoGradGuard no_grad;
  image_module().train(bn_train_at_encode_);
  text_module().train(bn_train_at_encode_);
  std::vector<torch::Tensor> parts;
  nets::for_each_batch(items, 256, [&](const std::vector<int64_t>& part) { parts.push_back(codes(part)); });
  image_module().train();
  text_module().train();
  return pack_signs(torch::cat(parts, 0));
}

}  // namespace cmh::methods
