// The state dict inside a file written by Python's torch.save (torchvision's published `.pth`
// weights): a restricted pickle reader that understands only what torch.save writes for a
// dict of tensors (OrderedDict, torch._utils._rebuild_tensor_v2, typed storages by persistent
// id) and refuses every other global, so reading a file never runs or builds anything else.
// LibTorch's own unpickler aborts on the OrderedDict (../shared/design/WEIGHTS-NOTES.md).
// Torch-free: tensors are described (storage, offset, sizes, strides), their bytes read by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cmh::io {

/// One tensor of a state dict as the pickle describes it.
struct PickledTensor {
  std::string storage_key;  ///< the storage's name: "data/<key>" in a zip archive, or a legacy file's key
  std::string dtype;        ///< "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"
  size_t element_size = 0;  ///< bytes per element of dtype
  std::string location;     ///< "cpu", "cuda:0", … (the tensors are read onto the CPU whatever it says)
  int64_t storage_numel = 0;   ///< elements in the storage (legacy files say; 0 when not given)
  int64_t storage_offset = 0;  ///< in elements
  std::vector<int64_t> sizes, strides;
};

/// Parameter name → tensor, in the file's order.
using PickledStateDict = std::vector<std::pair<std::string, PickledTensor>>;

/// Reads one pickle (protocol 2–5) holding a state dict: a dict or OrderedDict of tensors
/// (nested dicts are flattened with '.', as load_state_dict names them; `_metadata` is ignored).
/// `origin` names the file in errors (InputError). `end`, when given, receives the offset just
/// after the pickle's STOP.
PickledStateDict read_state_dict_pickle(const uint8_t* data, size_t size, const std::string& origin,
                                        size_t* end = nullptr);

/// A legacy (pre-1.6, non-zip) torch.save file: four pickles (magic number, protocol version,
/// system info, the object), the list of storage keys, then each storage as an 8-byte little-endian
/// element count and its bytes. Returns the state dict and, per storage key, where its bytes start.
struct LegacyTorchFile {
  PickledStateDict tensors;
  std::vector<std::pair<std::string, size_t>> storage_offsets;  ///< key → offset of its first byte
};
LegacyTorchFile read_legacy_torch_file(const uint8_t* data, size_t size, const std::string& origin);

}  // namespace cmh::io
