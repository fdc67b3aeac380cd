// Image backbones.
#include "methods/nets/image_nets.h"

#include "common/error.h"

namespace cmh::nets {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

// torchvision's BasicBlock: conv3x3 → BN → ReLU → conv3x3 → BN, plus (downsampled) identity.
struct BasicBlockImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::Sequential downsample{nullptr};
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1 = register_module("conv1", conv(in, out, 3, stride, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(out));
    conv2 = register_module("conv2", conv(out, out, 3, 1, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(out));
    if (stride != 1 || in != out)
      downsample = register_module("downsample", nn::Sequential(conv(in, out, 1, stride, 0), nn::BatchNorm2d(out)));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (downsample ? downsample->forward(x) : x));
  }
};
TORCH_MODULE(BasicBlock);

class ResNet final : public ImageBackbone {
 public:
  explicit ResNet(const std::vector<int>& blocks) {
    conv1_ = register_module("conv1", conv(3, 64, 7, 2, 3));
    bn1_ = register_module("bn1", nn::BatchNorm2d(64));
    const int64_t widths[4] = {64, 128, 256, 512};
    int64_t in = 64;
    for (int s = 0; s < 4; ++s) {
      nn::Sequential layer;
      for (int b = 0; b < blocks[s]; ++b) {
        layer->push_back(BasicBlock(in, widths[s], (b == 0 && s > 0) ? 2 : 1));
        in = widths[s];
      }
      layers_.push_back(register_module("layer" + std::to_string(s + 1), layer));
    }
    // torchvision's initialisation: Kaiming normal (fan_out) for convolutions, BN weight 1.
    for (auto& m : modules(false))
      if (auto* c = m->as<nn::Conv2d>()) nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
  std::vector<torch::Tensor> stages(const torch::Tensor& x) override {
    auto y = torch::max_pool2d(torch::relu(bn1_(conv1_(cpu_layout(x)))), 3, 2, 1);
    std::vector<torch::Tensor> out;
    for (auto& layer : layers_) {
      y = layer->forward(y);
      out.push_back(y.mean({2, 3}));  // global average pool
    }
    return out;
  }
  std::vector<int64_t> stage_dims() const override { return {64, 128, 256, 512}; }

 private:
  nn::Conv2d conv1_{nullptr};
  nn::BatchNorm2d bn1_{nullptr};
  std::vector<nn::Sequential> layers_;
};

// Four conv stages (32/64/128/256 channels), each conv → BN → ReLU → 2×2 max pool except the
// last: enough capacity for 32–64 px synthetic pictures at CPU cost.
class SmallCnn final : public ImageBackbone {
 public:
  SmallCnn() {
    const int64_t widths[4] = {32, 64, 128, 256};
    int64_t in = 3;
    for (int s = 0; s < 4; ++s) {
      blocks_.push_back(register_module("stage" + std::to_string(s + 1),
                                        nn::Sequential(conv(in, widths[s], 3, 1, 1), nn::BatchNorm2d(widths[s]),
                                                       nn::ReLU())));
      in = widths[s];
    }
  }
  std::vector<torch::Tensor> stages(const torch::Tensor& x) override {
    std::vector<torch::Tensor> out;
    auto y = cpu_layout(x);
    for (size_t s = 0; s < blocks_.size(); ++s) {
      y = blocks_[s]->forward(y);
      out.push_back(y.mean({2, 3}));
      if (s + 1 < blocks_.size()) y = torch::max_pool2d(y, 2);
    }
    return out;
  }
  std::vector<int64_t> stage_dims() const override { return {32, 64, 128, 256}; }

 private:
  std::vector<nn::Sequential> blocks_;
};

// Feature-vector images: four Linear → BN → ReLU stages (1024, 1024, 512, 512).
class FeatureMlp final : public ImageBackbone {
 public:
  explicit FeatureMlp(int64_t input_dim) {
    const int64_t widths[4] = {1024, 1024, 512, 512};
    int64_t in = input_dim;
    for (int s = 0; s < 4; ++s) {
      stages_.push_back(register_module("stage" + std::to_string(s + 1),
                                        nn::Sequential(nn::Linear(in, widths[s]), nn::BatchNorm1d(widths[s]), nn::ReLU())));
      in = widths[s];
    }
  }
  std::vector<torch::Tensor> stages(const torch::Tensor& x) override {
    std::vector<torch::Tensor> out;
    auto y = x;
    for (auto& s : stages_) out.push_back(y = s->forward(y));
    return out;
  }
  std::vector<int64_t> stage_dims() const override { return {1024, 1024, 512, 512}; }
  bool takes_pixels() const override { return false; }

 private:
  std::vector<nn::Sequential> stages_;
};

}  // namespace

std::shared_ptr<ImageBackbone> make_image_backbone(const std::string& name, int64_t input_dim) {
  if (name == "resnet18") return std::make_shared<ResNet>(std::vector<int>{2, 2, 2, 2});
  if (name == "resnet34") return std::make_shared<ResNet>(std::vector<int>{3, 4, 6, 3});
  if (name == "small_cnn") return std::make_shared<SmallCnn>();
  if (name == "mlp") {
    if (input_dim <= 0) throw InputError("image net 'mlp' needs feature-vector images");
    return std::make_shared<FeatureMlp>(input_dim);
  }
  throw InputError("unknown image net '" + name + "'; choose resnet18, resnet34, small_cnn or mlp");
}

std::string auto_image_backbone(bool pixels, int64_t height) {
  if (!pixels) return "mlp";
  return height <= 64 ? "small_cnn" : "resnet34";
}

}  // namespace cmh::nets
