// DCMH text network.
#include "methods/dcmh/dcmh_nets.h"

namespace cmh::methods {

DcmhTextNetImpl::DcmhTextNetImpl(int64_t text_dim, int64_t hidden_dim, int64_t bits) {
  hidden = register_module("hidden", torch::nn::Linear(text_dim, hidden_dim));
  hash = register_module("hash", torch::nn::Linear(hidden_dim, bits));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.normal_(0.0, 0.01);
}

torch::Tensor DcmhTextNetImpl::forward(const torch::Tensor& x) { return hash(torch::relu(hidden(x))); }

}  // namespace cmh::methods
