// Backbone + hash layer.
#include "methods/common/hashed_image_net.h"

namespace cmh::methods {

HashedImageNetImpl::HashedImageNetImpl(std::shared_ptr<nets::ImageBackbone> b, int64_t bits, bool tanh_out)
    : tanh_outputs(tanh_out) {
  backbone = register_module("backbone", b);
  head = register_module("head", torch::nn::Linear(b->feature_dim(), bits));
  torch::NoGradGuard no_grad;
  head->weight.normal_(0.0, 0.01);
  head->bias.zero_();
}

torch::Tensor HashedImageNetImpl::forward(const torch::Tensor& x) {
  auto h = head(backbone->forward(x));
  return tanh_outputs ? torch::tanh(h) : h;
}

}  // namespace cmh::methods
