// Training skeleton pieces.
#include "methods/common/training.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "common/error.h"

namespace cmh::training {

void MemoryBanks::init(int64_t n, int64_t k, torch::Generator& gen) {
  F = torch::randn({n, k}, gen, torch::kFloat32);
  G = torch::randn({n, k}, gen, torch::kFloat32);
  refresh_codes();
}

void MemoryBanks::refresh_codes() { B = torch::sign(F + G); }

void MemoryBanks::to(const torch::Device& device) {
  F = F.to(device);
  G = G.to(device);
  B = B.to(device);
}

namespace {

// The same seed must give the same codes on a GPU too: cuDNN takes its deterministic kernels and
// no autotuning, and cuBLAS the fixed workspace its reproducible mode needs (read when the first
// cuBLAS handle is made, so before any GPU work). Ops with no deterministic CUDA kernel warn.
void make_cuda_deterministic() {
  static std::once_flag once;
  std::call_once(once, [] {
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    auto& context = at::globalContext();
    context.setDeterministicCuDNN(true);
    context.setBenchmarkCuDNN(false);
    context.setDeterministicAlgorithms(true, /*warn_only=*/true);
  });
}

}  // namespace

torch::Device device_of(const RunContext& ctx) {
  const torch::Device device(ctx.device);
  if (device.is_cuda()) make_cuda_deterministic();
  return device;
}

void load_checkpoint(torch::serialize::InputArchive& archive, const std::string& path, const torch::Device& device) {
  archive.load_from(path, device);
}

torch::Tensor sample_batch(int64_t n, int64_t batch, torch::Generator& gen) {
  return torch::randperm(n, gen, torch::kLong).narrow(0, 0, std::min(batch, n));
}

double linear_lr(int64_t epoch, int64_t epochs, double start, double end) {
  return start + (end - start) * static_cast<double>(epoch) / static_cast<double>(epochs);
}

double geometric_lr(int64_t epoch, int64_t epochs, double start, double end) {
  return start * std::pow(end / start, static_cast<double>(epoch) / static_cast<double>(epochs));
}

void save_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

void write_module(torch::serialize::OutputArchive& parent, const std::string& key, torch::nn::Module& m) {
  torch::serialize::OutputArchive sub;
  m.save(sub);
  parent.write(key, sub);
}

void read_module(torch::serialize::InputArchive& parent, const std::string& key, torch::nn::Module& m) {
  torch::serialize::InputArchive sub;
  parent.read(key, sub);
  m.load(sub);
}

void write_optimizer(torch::serialize::OutputArchive& parent, const std::string& key, torch::optim::Optimizer& o) {
  torch::serialize::OutputArchive sub;
  o.save(sub);
  parent.write(key, sub);
}

void read_optimizer(torch::serialize::InputArchive& parent, const std::string& key, torch::optim::Optimizer& o) {
  torch::serialize::InputArchive sub;
  parent.read(key, sub);
  o.load(sub);
}

void descend(torch::optim::Optimizer& opt, const torch::Tensor& loss) {
  for (auto& group : opt.param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
  loss.backward();
  opt.step();
}

void set_lr(torch::optim::SGD& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters()) out.push_back(p.detach().clone());
  for (auto& b : m.buffers()) out.push_back(b.detach().clone());
  return out;
}

void restore(torch::nn::Module& m, const std::vector<torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : m.parameters()) p.copy_(state.at(i++));
  for (auto& b : m.buffers()) b.copy_(state.at(i++));
}

namespace {

void write_tensors(torch::serialize::OutputArchive& a, const std::string& key, const std::vector<torch::Tensor>& s) {
  torch::serialize::OutputArchive sub;
  for (size_t i = 0; i < s.size(); ++i) sub.write(std::to_string(i), s[i]);
  a.write(key, sub);
}

std::vector<torch::Tensor> read_tensors(torch::serialize::InputArchive& a, const std::string& key, size_t count) {
  torch::serialize::InputArchive sub;
  a.read(key, sub);
  std::vector<torch::Tensor> s(count);
  for (size_t i = 0; i < count; ++i) sub.read(std::to_string(i), s[i]);
  return s;
}

size_t state_size(torch::nn::Module& m) { return m.parameters().size() + m.buffers().size(); }

}  // namespace

void run_epochs(const std::string& method, int64_t epochs, RunContext& ctx, TrainingParts parts,
                const std::function<EpochValues(int64_t)>& epoch) {
  const std::string& selection = ctx.selection.rule;
  int64_t start = 0;
  double best_score = -1.0;
  std::vector<torch::Tensor> best_image, best_text;
  const std::string path =
      ctx.checkpoint_dir.empty() ? "" : (std::filesystem::path(ctx.checkpoint_dir) / (method + ".pt")).string();
  if (!path.empty() && std::filesystem::exists(path)) {
    torch::serialize::InputArchive a;
    load_checkpoint(a, path, parts.banks.F.device());
    read_module(a, "image_net", parts.image_net);
    read_module(a, "text_net", parts.text_net);
    read_optimizer(a, "image_opt", parts.image_opt);
    read_optimizer(a, "text_opt", parts.text_opt);
    // Each read into a fresh tensor: InputArchive::read reuses a defined tensor's storage.
    auto read = [&](const char* key) {
      torch::Tensor t;
      a.read(key, t);
      return t;
    };
    parts.banks.F = read("F");
    parts.banks.G = read("G");
    parts.banks.B = read("B");
    parts.gen.set_state(read("rng").to(torch::kCPU));  // the generator is a CPU one on every device
    start = read("epoch").item<int64_t>();
    best_score = read("best_score").item<double>();
    if (best_score >= 0) {
      best_image = read_tensors(a, "best_image", state_size(parts.image_net));
      best_text = read_tensors(a, "best_text", state_size(parts.text_net));
    }
    ctx.notes.push_back(method + ": resumed from the checkpoint after epoch " + std::to_string(start));
  }

  for (int64_t e = start; e < epochs; ++e) {
    EpochLog log;
    log.epoch = static_cast<int>(e + 1);
    log.epochs = static_cast<int>(epochs);
    log.values = epoch(e);
    if (selection != "final" && ctx.selection.score) {
      const double score = ctx.selection.score();
      log.values.emplace_back("selection_map", score);
      if (score > best_score) {
        best_score = score;
        best_image = snapshot(parts.image_net);
        best_text = snapshot(parts.text_net);
      }
    }
    if (ctx.on_epoch) ctx.on_epoch(log);
    if (!path.empty()) {
      torch::serialize::OutputArchive a;
      write_module(a, "image_net", parts.image_net);
      write_module(a, "text_net", parts.text_net);
      write_optimizer(a, "image_opt", parts.image_opt);
      write_optimizer(a, "text_opt", parts.text_opt);
      a.write("F", parts.banks.F);
      a.write("G", parts.banks.G);
      a.write("B", parts.banks.B);
      a.write("rng", parts.gen.get_state());
      a.write("epoch", torch::tensor(e + 1, torch::kLong));
      a.write("best_score", torch::tensor(best_score, torch::kDouble));
      if (best_score >= 0) {
        write_tensors(a, "best_image", best_image);
        write_tensors(a, "best_text", best_text);
      }
      save_atomically(a, path);
    }
    if (ctx.stop_requested && ctx.stop_requested() && e + 1 < epochs)
      throw Interrupted(method + ": stopped after epoch " + std::to_string(e + 1) + "; the checkpoint is saved");
  }
  if (selection != "final" && best_score >= 0) {
    restore(parts.image_net, best_image);
    restore(parts.text_net, best_text);
    ctx.notes.push_back(method + ": selection " + selection + " kept the epoch with mAP " + std::to_string(best_score));
  }
}

}  // namespace cmh::training
