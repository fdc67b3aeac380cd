// `cmhbench weights import FILE --out weights/NAME.pt [--net auto|resnet18|resnet34|cnnf]` and
// `cmhbench weights inspect FILE`: publishers' ImageNet weights (torchvision .pth, MatConvNet
// imagenet-vgg-f.mat) validated against this harness's nets and written in its own archive,
// which records the input normalisation and the source's SHA-256. A `pretrained` parameter may
// also name the publisher's file itself: it is read the same way at every run.
#include <cstdio>

#include "cli/options.h"
#include "common/error.h"
#include "methods/nets/pretrained_weights.h"

namespace cmh::cli {
namespace {

void describe(const nets::ImportedWeights& w, const std::string& from) {
  int64_t values = 0;
  for (const auto& [name, t] : w.tensors) values += t.numel();
  std::printf("%s: %s weights, %zu tensors, %lld values\n  format: %s\n  sha256: %s\n  input: %s\n", from.c_str(),
              w.net.c_str(), w.tensors.size(), static_cast<long long>(values), w.format.c_str(), w.sha256.c_str(),
              w.input.description.c_str());
  for (const auto& n : w.notes) std::printf("  note: %s\n", n.c_str());
}

}  // namespace

int weights_command(const Args& args) {
  po::options_description opt("options");
  std::string action, file, out, net = "auto";
  opt.add_options()("action", po::value(&action), "import | inspect")("file", po::value(&file), "the weights file")(
      "out", po::value(&out), "import: where to write the harness's archive (e.g. weights/resnet34-imagenet.pt)")(
      "net", po::value(&net)->default_value("auto"), "auto | resnet18 | resnet34 | cnnf");
  po::positional_options_description pos;
  pos.add("action", 1).add("file", 1);
  po::variables_map vm;
  if (!parse_options("weights", "import FILE --out OUT.pt [--net NET] | inspect FILE", args, opt, pos, vm)) return 0;
  if (action != "import" && action != "inspect")
    throw InputError("weights: the first argument is 'import' or 'inspect', got '" + action + "'");
  if (file.empty()) throw InputError("weights " + action + ": name the weights file (e.g. resnet34-b627a593.pth)");
  if (action == "import" && out.empty()) throw InputError("weights import: --out OUT.pt is required");
  const nets::ImportedWeights w = nets::import_weights(file, net);
  describe(w, file);
  if (action == "import") {
    nets::save_imported_weights(w, out);
    std::printf("wrote %s (name it as a method's pretrained = \"%s\")\n", out.c_str(), out.c_str());
  }
  return 0;
}

}  // namespace cmh::cli
