// Importing publishers' weight files into this harness's nets.
#include "methods/nets/pretrained_weights.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/script.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "data/sha256.h"
#include "io/mat_file.h"
#include "io/torch_pickle.h"
#include "methods/nets/cnnf.h"
#include "methods/nets/image_nets.h"

namespace cmh::nets {
namespace {

constexpr const char* kMeta = "cmhbench.";  // metadata keys in our own archive

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("weights: cannot read '" + path + "'; check the path (the file does not exist or is not readable)");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string read_head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("weights: cannot read '" + path + "'; check the path (the file does not exist or is not readable)");
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream os;
  os << t.sizes();
  return os.str();
}

torch::Tensor text_tensor(const std::string& s) {
  return torch::from_blob(const_cast<char*>(s.data()), {static_cast<int64_t>(s.size())}, torch::kUInt8).clone();
}

std::string tensor_text(const torch::Tensor& t) {
  auto c = t.to(torch::kUInt8).contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel()));
}

torch::ScalarType scalar_type(const std::string& dtype) {
  if (dtype == "float32") return torch::kFloat32;
  if (dtype == "float64") return torch::kFloat64;
  if (dtype == "float16") return torch::kFloat16;
  if (dtype == "bfloat16") return torch::kBFloat16;
  if (dtype == "int64") return torch::kInt64;
  if (dtype == "int32") return torch::kInt32;
  if (dtype == "int16") return torch::kInt16;
  if (dtype == "int8") return torch::kInt8;
  if (dtype == "bool") return torch::kBool;
  return torch::kUInt8;
}

// A tensor from its pickled description and its storage's bytes, bounds-checked.
torch::Tensor rebuild(const io::PickledTensor& t, const uint8_t* storage, size_t storage_bytes, const std::string& name,
                      const std::string& origin) {
  int64_t last = t.storage_offset;
  bool empty = false;
  for (size_t k = 0; k < t.sizes.size(); ++k) {
    if (t.sizes[k] == 0) empty = true;
    else last += (t.sizes[k] - 1) * t.strides[k];
  }
  if (!empty && static_cast<uint64_t>(last + 1) * t.element_size > storage_bytes)
    throw InputError("weights: '" + origin + "' tensor " + name + " reaches beyond its storage; the file is corrupt: download it again");
  if (empty) return torch::empty(t.sizes, scalar_type(t.dtype));
  auto view = torch::from_blob(const_cast<uint8_t*>(storage) + t.storage_offset * t.element_size, t.sizes, t.strides,
                               torch::TensorOptions().dtype(scalar_type(t.dtype)));
  auto out = view.clone();
  return out.is_floating_point() ? out.to(torch::kFloat32) : out;
}

// --- which net a set of names is -----------------------------------------------------------------

std::string guess_net(const std::map<std::string, torch::Tensor>& t) {
  if (t.count("fc6.weight") && t.count("conv1.weight")) return "cnnf";
  if (t.count("layer1.0.conv3.weight")) return "resnet50+ (bottleneck blocks)";
  if (t.count("layer3.5.conv1.weight") && t.count("layer1.2.conv1.weight")) return "resnet34";
  if (t.count("layer1.1.conv1.weight") && !t.count("layer1.2.conv1.weight")) return "resnet18";
  return "";
}

void check_net_name(const std::string& net) {
  if (net != "auto" && net != "resnet18" && net != "resnet34" && net != "cnnf")
    throw InputError("weights: unknown net '" + net + "'; choose auto, resnet18, resnet34 or cnnf");
}

// Refuses `w` unless it holds exactly the tensors of a fresh `w.net`, plus the classifier
// ("fc.*" for a ResNet), which is dropped with a note.
void validate_against_net(ImportedWeights& w, const std::string& origin) {
  const auto net = w.net == "cnnf" ? make_cnnf() : make_image_backbone(w.net);
  std::vector<std::string> missing, wrong;
  std::set<std::string> wrong_names;
  std::map<std::string, torch::Tensor> kept;
  auto take = [&](const std::string& name, const torch::Tensor& expected) {
    auto it = w.tensors.find(name);
    if (it == w.tensors.end()) {
      missing.push_back(name + " " + shape_of(expected));
      return;
    }
    if (!it->second.sizes().equals(expected.sizes())) {
      wrong.push_back(name + " is " + shape_of(it->second) + ", the net's is " + shape_of(expected));
      wrong_names.insert(name);
      return;
    }
    kept[name] = it->second;
  };
  for (const auto& p : net->named_parameters()) take(p.key(), p.value());
  for (const auto& b : net->named_buffers()) {
    // BatchNorm's step counter is not part of the weights (older state dicts lack it).
    if (b.key().size() > 20 && b.key().compare(b.key().size() - 20, 20, ".num_batches_tracked") == 0) {
      if (w.tensors.count(b.key())) kept[b.key()] = w.tensors.at(b.key());
      continue;
    }
    take(b.key(), b.value());
  }
  std::vector<std::string> extra, dropped;
  for (const auto& [name, t] : w.tensors) {
    if (kept.count(name)) continue;
    if (name.rfind("fc.", 0) == 0 || name.rfind("fc8.", 0) == 0) dropped.push_back(name);
    else if (!wrong_names.count(name)) extra.push_back(name);  // a name the file has is never among the missing
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t k = 0; k < v.size() && k < 5; ++k) s += (k ? "; " : "") + v[k];
    if (v.size() > 5) s += "; … (" + std::to_string(v.size()) + " in all)";
    return s;
  };
  if (!missing.empty() || !wrong.empty() || !extra.empty()) {
    const std::string guess = guess_net(w.tensors);
    throw InputError("weights: '" + origin + "' (" + w.format + ") is not " + w.net + " as this harness builds it:" +
                     (wrong.empty() ? "" : " shapes differ: " + list(wrong) + ".") +
                     (missing.empty() ? "" : " missing: " + list(missing) + ".") +
                     (extra.empty() ? "" : " tensors the net does not have: " + list(extra) + ".") +
                     (!guess.empty() && guess != w.net ? " Its names look like " + guess + "." : "") +
                     " Import torchvision's resnet18/resnet34 or MatConvNet's imagenet-vgg-f.mat, or name the right --net");
  }
  if (!dropped.empty())
    w.notes.push_back("dropped the ImageNet classifier (" + std::to_string(dropped.size()) + " tensors: " + list(dropped) + ")");
  w.tensors = std::move(kept);
}

// --- torchvision state dicts -----------------------------------------------------------------------

void from_pickled(ImportedWeights& w, const io::PickledStateDict& dict,
                  const std::function<std::pair<const uint8_t*, size_t>(const std::string&)>& storage,
                  const std::string& origin) {
  // nn.DataParallel saves "module."-prefixed names.
  const bool all_module = std::all_of(dict.begin(), dict.end(), [](const auto& e) { return e.first.rfind("module.", 0) == 0; });
  for (const auto& [name, t] : dict) {
    const auto [bytes, size] = storage(t.storage_key);
    w.tensors[all_module ? name.substr(7) : name] = rebuild(t, bytes, size, name, origin);
  }
  if (all_module) w.notes.push_back("names had nn.DataParallel's 'module.' prefix, removed");
}

void read_zip_state_dict(ImportedWeights& w, const std::string& path) {
  caffe2::serialize::PyTorchStreamReader zip(path);
  auto [pkl, pkl_size] = zip.getRecord("data.pkl");
  const io::PickledStateDict dict =
      io::read_state_dict_pickle(static_cast<const uint8_t*>(pkl.get()), pkl_size, path);
  std::map<std::string, std::pair<at::DataPtr, size_t>> records;
  from_pickled(
      w, dict,
      [&](const std::string& key) -> std::pair<const uint8_t*, size_t> {
        auto it = records.find(key);
        if (it == records.end()) {
          if (!zip.hasRecord("data/" + key))
            throw InputError("weights: '" + path + "' has no record data/" + key + "; the file is truncated: download it again");
          auto [ptr, size] = zip.getRecord("data/" + key);
          it = records.emplace(key, std::make_pair(std::move(ptr), size)).first;
        }
        return {static_cast<const uint8_t*>(it->second.first.get()), it->second.second};
      },
      path);
  w.format = "torch.save state dict (zip archive)";
}

void read_legacy_state_dict(ImportedWeights& w, const std::string& path, const std::string& bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const io::LegacyTorchFile f = io::read_legacy_torch_file(data, bytes.size(), path);
  std::map<std::string, size_t> offsets(f.storage_offsets.begin(), f.storage_offsets.end());
  from_pickled(
      w, f.tensors,
      [&](const std::string& key) -> std::pair<const uint8_t*, size_t> {
        auto it = offsets.find(key);
        if (it == offsets.end())
          throw InputError("weights: '" + path + "' has no bytes for storage " + key + "; download it again");
        return {data + it->second, bytes.size() - it->second};
      },
      path);
  w.format = "torch.save state dict (legacy format, torch < 1.6)";
}

// --- TorchScript and our own archive -------------------------------------------------------------

bool read_torch_archive(ImportedWeights& w, const std::string& path) {
  // TorchScript (torch.jit.save of a torchvision model), torch::save archives and our own all
  // load as a module; its tensors are its parameters, buffers and tensor attributes.
  try {
    auto module = torch::jit::load(path);
    for (const auto& p : module.named_parameters()) w.tensors[p.name] = p.value;
    for (const auto& b : module.named_buffers()) w.tensors[b.name] = b.value;
    for (const auto& a : module.named_attributes())
      if (a.value.isTensor() && !w.tensors.count(a.name)) w.tensors[a.name] = a.value.toTensor();
    w.format = "TorchScript or torch::save archive";
  } catch (const std::exception&) {
    return false;
  }
  // Our own metadata.
  auto meta = [&](const std::string& k) -> const torch::Tensor* {
    auto it = w.tensors.find(kMeta + k);
    return it == w.tensors.end() ? nullptr : &it->second;
  };
  if (const auto* t = meta("net")) {
    w.net = tensor_text(*t);
    w.format = "cmhbench weights";
    if (const auto* f = meta("format")) w.format += " (imported from " + tensor_text(*f) + ")";
    if (const auto* s = meta("sha256")) w.sha256 = tensor_text(*s);
    if (const auto* d = meta("input.description")) w.input.description = tensor_text(*d);
    if (const auto* s = meta("input.scale")) w.input.scale = s->item<double>();
    w.input.mean = w.input.std = torch::Tensor();  // exactly what the archive records
    if (const auto* m = meta("input.mean")) w.input.mean = *m;
    if (const auto* s = meta("input.std")) w.input.std = *s;
    for (const char* norm : {"norm1", "norm2"})
      if (const auto* l = meta(std::string("lrn.") + norm)) {
        auto c = l->to(torch::kFloat64).contiguous();
        w.lrn[norm] = std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
      }
  }
  for (auto it = w.tensors.begin(); it != w.tensors.end();)
    it = it->first.rfind(kMeta, 0) == 0 ? w.tensors.erase(it) : std::next(it);
  return true;
}

// --- MatConvNet's imagenet-vgg-f.mat ------------------------------------------------------------

struct VggfLayer {
  const char* name;
  const char* type;
};
// MatConvNet's CNN-F ("imagenet-vgg-f"), layer by layer, up to fc7's ReLU (what CnnF builds).
constexpr VggfLayer kVggf[] = {{"conv1", "conv"}, {"relu1", "relu"}, {"norm1", "lrn"},  {"pool1", "pool"},
                               {"conv2", "conv"}, {"relu2", "relu"}, {"norm2", "lrn"},  {"pool2", "pool"},
                               {"conv3", "conv"}, {"relu3", "relu"}, {"conv4", "conv"}, {"relu4", "relu"},
                               {"conv5", "conv"}, {"relu5", "relu"}, {"pool5", "pool"}, {"fc6", "conv"},
                               {"relu6", "relu"}, {"fc7", "conv"},   {"relu7", "relu"}};

struct ConvGeometry {
  std::vector<size_t> filter;  // MATLAB dims h, w, in, out
  int stride;
  std::vector<double> pad;     // top, bottom, left, right
};

std::vector<double> numbers(const io::MatNode* n) { return n ? std::vector<double>(n->values.begin(), n->values.end()) : std::vector<double>{}; }

std::vector<double> four(std::vector<double> v) {  // MatConvNet: a scalar pad means all four sides
  if (v.size() == 1) v.assign(4, v[0]);
  if (v.size() == 2) v = {v[0], v[0], v[1], v[1]};
  return v;
}

std::string list_text(const std::vector<double>& v) {
  std::ostringstream os;
  os << "[";
  for (size_t k = 0; k < v.size(); ++k) os << (k ? " " : "") << v[k];
  os << "]";
  return os.str();
}

void read_matconvnet(ImportedWeights& w, const std::string& path) {
  io::MatReader r(path);
  const std::string what = "weights: '" + path + "' ";
  if (!r.has("layers"))
    throw InputError(what + "is a .mat file without a 'layers' variable, so not a MatConvNet model; import MatConvNet's imagenet-vgg-f.mat");
  const io::MatNode layers = r.read_tree("layers");
  if (layers.cls != io::MatClass::kCell)
    throw InputError(what + "'layers' is a " + io::mat_class_name(layers.cls) + ", not MatConvNet's cell array of layers (a DagNN model? save it as SimpleNN)");
  const size_t expected = std::size(kVggf);
  auto layer_text = [&](const io::MatNode& l, const char* f) {
    const io::MatNode* n = l.field(f);
    return n ? n->text : std::string("?");
  };
  for (size_t k = 0; k < expected; ++k) {
    if (k >= layers.elements.size())
      throw InputError(what + "has " + std::to_string(layers.elements.size()) + " layers; CNN-F (imagenet-vgg-f) has " +
                       std::to_string(expected) + " up to relu7");
    const io::MatNode& l = layers.elements[k];
    const std::string name = layer_text(l, "name"), type = layer_text(l, "type");
    if (name != kVggf[k].name || type != kVggf[k].type)
      throw InputError(what + "layer " + std::to_string(k + 1) + " is '" + name + "' (" + type + "); CNN-F's is '" +
                       kVggf[k].name + "' (" + kVggf[k].type + "). Only imagenet-vgg-f.mat's layout is imported as cnnf");
  }
  const std::map<std::string, ConvGeometry> geometry = {
      {"conv1", {{11, 11, 3, 64}, 4, {0, 0, 0, 0}}},   {"conv2", {{5, 5, 64, 256}, 1, {2, 2, 2, 2}}},
      {"conv3", {{3, 3, 256, 256}, 1, {1, 1, 1, 1}}},  {"conv4", {{3, 3, 256, 256}, 1, {1, 1, 1, 1}}},
      {"conv5", {{3, 3, 256, 256}, 1, {1, 1, 1, 1}}},  {"fc6", {{6, 6, 256, 4096}, 1, {0, 0, 0, 0}}},
      {"fc7", {{1, 1, 4096, 4096}, 1, {0, 0, 0, 0}}}};
  // Pools: 3x3, stride 2; pool1 pads one row and column (bottom, right), as CnnF does.
  const std::map<std::string, std::vector<double>> pool_pad = {
      {"pool1", {0, 1, 0, 1}}, {"pool2", {0, 0, 0, 0}}, {"pool5", {0, 0, 0, 0}}};
  for (size_t k = 0; k < expected; ++k) {
    const io::MatNode& l = layers.elements[k];
    const std::string name = kVggf[k].name;
    const std::string type = kVggf[k].type;
    if (type == "conv") {
      const ConvGeometry& g = geometry.at(name);
      const io::MatNode *filters = nullptr, *biases = nullptr;
      if (const io::MatNode* weights = l.field("weights"); weights && weights->elements.size() == 2) {
        filters = &weights->elements[0];
        biases = &weights->elements[1];
      } else {  // MatConvNet before beta-10: separate fields
        filters = l.field("filters");
        biases = l.field("biases");
      }
      if (!filters || !biases)
        throw InputError(what + "layer " + name + " has neither weights = {filters, biases} nor filters/biases fields");
      std::vector<size_t> dims = filters->dims;
      while (dims.size() < 4) dims.push_back(1);
      if (dims != g.filter || biases->values.size() != g.filter[3])
        throw InputError(what + "layer " + name + " has filters " + filters->shape() + " and " +
                         std::to_string(biases->values.size()) + " biases; CNN-F's are " + std::to_string(g.filter[0]) + "x" +
                         std::to_string(g.filter[1]) + "x" + std::to_string(g.filter[2]) + "x" + std::to_string(g.filter[3]));
      const std::vector<double> stride = numbers(l.field("stride")), pad = four(numbers(l.field("pad")));
      if (!stride.empty() && (stride[0] != g.stride || stride.back() != g.stride))
        throw InputError(what + "layer " + name + " has stride " + list_text(stride) + "; CNN-F's is " + std::to_string(g.stride));
      if (!pad.empty() && pad != g.pad)
        throw InputError(what + "layer " + name + " has pad " + list_text(pad) + "; CNN-F's is " + list_text(g.pad));
      const auto h = static_cast<int64_t>(dims[0]), wd = static_cast<int64_t>(dims[1]), in = static_cast<int64_t>(dims[2]),
                 out = static_cast<int64_t>(dims[3]);
      // Column-major h×w×in×out read as row-major is out×in×w×h: swap the last two axes.
      auto f = torch::from_blob(const_cast<float*>(filters->values.data()), {out, in, wd, h}, torch::kFloat32);
      w.tensors[name + ".weight"] = f.transpose(2, 3).contiguous().clone();
      w.tensors[name + ".bias"] =
          torch::from_blob(const_cast<float*>(biases->values.data()), {out}, torch::kFloat32).clone();
    } else if (type == "pool") {
      const std::vector<double> pad = four(numbers(l.field("pad")));
      const std::vector<double> size = numbers(l.field("pool")), stride = numbers(l.field("stride"));
      const std::string method = l.field("method") ? l.field("method")->text : "max";
      if ((!pad.empty() && pad != pool_pad.at(name)) || (!size.empty() && size != std::vector<double>{3, 3}) ||
          (!stride.empty() && stride[0] != 2) || method != "max")
        throw InputError(what + "layer " + name + " is a " + method + " pool " + list_text(size) + " stride " +
                         list_text(stride) + " pad " + list_text(pad) + "; CNN-F's is max 3x3 stride 2 pad " +
                         list_text(pool_pad.at(name)));
    } else if (type == "lrn") {
      const std::vector<double> p = numbers(l.field("param"));
      if (p.size() != 4 || p[0] < 1 || p[0] != std::floor(p[0]))
        throw InputError(what + "layer " + name + " has param " + list_text(p) + "; MatConvNet's LRN has [N kappa alpha beta]");
      // MatConvNet: x / (kappa + alpha Σ x²)^beta over N channels; torch's LocalResponseNorm
      // divides alpha by its size, so size N, alpha · N, beta, k = kappa give the same values.
      w.lrn[name] = {p[0], p[2] * p[0], p[3], p[1]};
      w.notes.push_back(name + ": MatConvNet's LRN param " + list_text(p) + " (N kappa alpha beta) used as LocalResponseNorm(size " +
                        std::to_string(static_cast<int>(p[0])) + ", alpha " +
                        std::to_string(p[2] * p[0]) + ", beta " + std::to_string(p[3]) + ", k " + std::to_string(p[1]) + ")");
    }
  }
  if (layers.elements.size() > expected)
    w.notes.push_back("dropped " + std::to_string(layers.elements.size() - expected) + " layers after relu7 (fc8, prob: the ImageNet classifier)");
  // The average image: meta.normalization (MatConvNet beta-17 and later) or normalization (before).
  const std::string avg = r.has("meta.normalization.averageImage") ? "meta.normalization.averageImage"
                          : r.has("normalization.averageImage")    ? "normalization.averageImage"
                                                                   : "";
  if (avg.empty())
    throw InputError(what + "has no meta.normalization.averageImage (nor normalization.averageImage): the input "
                     "normalisation the weights were trained with is unknown");
  const io::MatArray<float> a = r.read_float(avg);
  torch::Tensor mean;
  if (a.data.size() == 3) {
    mean = torch::from_blob(const_cast<float*>(a.data.data()), {3}, torch::kFloat32).clone();
  } else if (a.dims.size() == 3 && a.dims[2] == 3) {
    const auto h = static_cast<int64_t>(a.dims[0]), wd = static_cast<int64_t>(a.dims[1]);
    mean = torch::from_blob(const_cast<float*>(a.data.data()), {3, wd, h}, torch::kFloat32).transpose(1, 2).contiguous().clone();
  } else {
    throw InputError(what + avg + " is " + std::to_string(a.dims.size()) + "-D with " + std::to_string(a.data.size()) +
                     " values; MatConvNet's average image is HxWx3 or 1x1x3");
  }
  w.input.scale = 1.0;
  w.input.mean = mean;
  w.input.std = torch::Tensor();
  w.input.description = "MatConvNet's " + avg + " (" + (mean.dim() == 1 ? "per channel" : "per pixel, " +
                        std::to_string(mean.size(1)) + "x" + std::to_string(mean.size(2))) +
                        ") subtracted from 0..255 pixels";
  w.format = "MatConvNet SimpleNN model (imagenet-vgg-f layout)";
  w.net = "cnnf";
}

}  // namespace

InputNormalization InputNormalization::imagenet() {
  InputNormalization n;
  n.mean = torch::tensor({0.485f, 0.456f, 0.406f});
  n.std = torch::tensor({0.229f, 0.224f, 0.225f});
  return n;
}

bool InputNormalization::is_imagenet() const {
  static const InputNormalization in = imagenet();
  return scale == in.scale && mean.defined() && std.defined() && mean.sizes().equals(in.mean.sizes()) &&
         std.sizes().equals(in.std.sizes()) && mean.equal(in.mean) && std.equal(in.std);
}

namespace {
ImportedWeights import_any(const std::string& path, const std::string& net);
}

ImportedWeights import_weights(const std::string& path, const std::string& net) {
  check_net_name(net);
  try {
    return import_any(path, net);
  } catch (const c10::Error& e) {  // LibTorch's zip reader on a truncated or foreign archive
    const std::string what = e.what_without_backtrace();
    throw InputError("weights: '" + path + "' could not be read as a zip archive (" + what.substr(0, what.find('\n')) +
                     "); the file is truncated or corrupt: download it again");
  }
}

namespace {
ImportedWeights import_any(const std::string& path, const std::string& net) {
  ImportedWeights w;
  w.input = InputNormalization::imagenet();
  const std::string bytes = read_head(path, 1024);  // enough to tell the formats apart
  w.sha256 = data::fingerprint_file(path).sha256;
  const bool zip = bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0;
  const bool mat = (bytes.size() >= 128 && bytes.compare(0, 6, "MATLAB") == 0) ||
                   (bytes.size() >= 516 && bytes.compare(512, 4, "\x89HDF") == 0);
  const bool legacy = bytes.size() >= 4 && uint8_t(bytes[0]) == 0x80 && uint8_t(bytes[2]) == 0x8a;
  if (mat) {
    if (net != "auto" && net != "cnnf")
      throw InputError("weights: '" + path + "' is a MatConvNet .mat file, which is imported as cnnf, not " + net);
    read_matconvnet(w, path);
  } else if (zip) {
    bool state_dict = false;
    {
      caffe2::serialize::PyTorchStreamReader reader(path);
      state_dict = reader.hasRecord("data.pkl") && !reader.hasRecord("constants.pkl");
    }
    if (state_dict) read_zip_state_dict(w, path);
    else if (!read_torch_archive(w, path))
      throw InputError("weights: '" + path + "' is a zip archive but neither a torch.save state dict nor TorchScript; "
                       "export it with torch.save(model.state_dict(), path)");
  } else if (legacy) {
    read_legacy_state_dict(w, path, read_bytes(path));
  } else {
    throw InputError("weights: '" + path + "' is not a weights file this harness reads (torchvision .pth, MatConvNet "
                     ".mat, TorchScript or cmhbench weights): its first bytes match none of them");
  }
  if (w.net.empty() || net != "auto") {
    if (!w.net.empty() && net != "auto" && w.net != net)
      throw InputError("weights: '" + path + "' holds " + w.net + " weights, not " + net);
    w.net = net != "auto" ? net : guess_net(w.tensors);
    if (w.net.empty() || w.net.find('+') != std::string::npos)
      throw InputError("weights: '" + path + "' (" + w.format + ") holds neither resnet18, resnet34 nor cnnf weights" +
                       (w.net.empty() ? std::string() : " (its names look like " + w.net + ")") +
                       "; name --net if it is one of them");
  }
  validate_against_net(w, path);
  return w;
}
}  // namespace

void save_imported_weights(const ImportedWeights& w, const std::string& out) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, t] : w.tensors) archive.write(name, t);
  archive.write(std::string(kMeta) + "net", text_tensor(w.net));
  archive.write(std::string(kMeta) + "format", text_tensor(w.format));
  archive.write(std::string(kMeta) + "sha256", text_tensor(w.sha256));
  archive.write(std::string(kMeta) + "input.description", text_tensor(w.input.description));
  archive.write(std::string(kMeta) + "input.scale", torch::tensor(w.input.scale, torch::kFloat64));
  if (w.input.mean.defined()) archive.write(std::string(kMeta) + "input.mean", w.input.mean);
  if (w.input.std.defined()) archive.write(std::string(kMeta) + "input.std", w.input.std);
  for (const auto& [norm, p] : w.lrn)
    archive.write(std::string(kMeta) + "lrn." + norm, torch::tensor(p, torch::kFloat64));
  const std::filesystem::path target(out);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string tmp = out + ".tmp";
  try {
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    std::filesystem::remove(tmp);
    throw InputError("weights: cannot write '" + out + "': " + std::string(e.what()).substr(0, 200));
  }
  std::filesystem::rename(tmp, out);
}

ImportedWeights load_backbone_weights(ImageBackbone& net, const std::string& net_name, const std::string& path) {
  ImportedWeights w = import_weights(path, net_name);
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters()) p.value().copy_(w.tensors.at(p.key()));
  for (auto& b : net.named_buffers())
    if (auto it = w.tensors.find(b.key()); it != w.tensors.end()) b.value().copy_(it->second);
  if (auto* cnnf = dynamic_cast<CnnF*>(&net))
    for (const auto& [norm, p] : w.lrn) cnnf->set_local_response_norm(norm, p);
  w.loaded = w.tensors.size();
  w.tensors.clear();  // a second copy of the weights would stay alive with the caller
  return w;
}

}  // namespace cmh::nets
