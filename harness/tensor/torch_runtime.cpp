// torch_runtime.h implementation.
#include "tensor/torch_runtime.h"

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/Version.h>

#include <cctype>
#include <thread>

#include "common/error.h"

namespace cmh {

int set_torch_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return at::get_num_threads();
}

std::string check_device(const std::string& device) {
  if (device == "cpu") return device;
  if (device.rfind("cuda", 0) == 0) {
    try {
      torch::Device d(device);
      if (!torch::cuda::is_available())
        throw InputError("device '" + device +
                         "': this LibTorch was built without CUDA or sees no GPU; use device = \"cpu\" "
                         "or build against a CUDA LibTorch (README, GPU section)");
      if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
        throw InputError("device '" + device + "': only " + std::to_string(torch::cuda::device_count()) +
                         " CUDA device(s) visible");
      return device;
    } catch (const c10::Error&) {
    }
  }
  throw InputError("device '" + device + "' is not valid; use \"cpu\" or \"cuda\" / \"cuda:N\"");
}

std::string torch_version() { return TORCH_VERSION; }

std::string torch_cpu_capability() {
  // The dispatcher's own getter is not exported by libtorch_cpu; its configuration report names
  // the capability in use ("CPU capability usage: AVX512").
  static const std::string capability = [] {
    const std::string config = at::show_config();
    const std::string tag = "CPU capability usage: ";
    const auto pos = config.find(tag);
    if (pos == std::string::npos) return std::string("unrecorded");
    std::string v = config.substr(pos + tag.size(), config.find('\n', pos) - pos - tag.size());
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
  }();
  return capability;
}

}  // namespace cmh
