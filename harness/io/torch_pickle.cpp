// A pickle machine restricted to what torch.save writes for a state dict. Opcodes follow
// Python's Lib/pickletools.py; globals other than the handful a state dict needs are refused.
#include "io/torch_pickle.h"

#include <cstring>
#include <map>
#include <memory>
#include <string_view>

#include "common/error.h"

namespace cmh::io {
namespace {

struct Value;
using Ref = std::shared_ptr<Value>;

struct Value {
  enum Kind { kNone, kBool, kInt, kFloat, kString, kBigInt, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kMark };
  Kind kind = kNone;
  int64_t i = 0;
  double f = 0;
  std::string s, s2;  // string (or a long integer's bytes); a global's module and name
  std::vector<Ref> items;
  std::vector<std::pair<Ref, Ref>> dict;
  PickledTensor tensor;  // kStorage: key, dtype, location, numel; kTensor: all of it
};

Ref make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

// torch.<Name>Storage → dtype and element size.
bool storage_dtype(const std::string& name, std::string& dtype, size_t& size) {
  static const std::map<std::string, std::pair<const char*, size_t>> kTypes = {
      {"FloatStorage", {"float32", 4}}, {"DoubleStorage", {"float64", 8}}, {"HalfStorage", {"float16", 2}},
      {"BFloat16Storage", {"bfloat16", 2}}, {"LongStorage", {"int64", 8}}, {"IntStorage", {"int32", 4}},
      {"ShortStorage", {"int16", 2}}, {"CharStorage", {"int8", 1}}, {"ByteStorage", {"uint8", 1}},
      {"BoolStorage", {"bool", 1}}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return false;
  dtype = it->second.first;
  size = it->second.second;
  return true;
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, const std::string& origin) : p_(data), n_(size), origin_(origin) {}

  Ref run(size_t* end) {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                     // PROTO
        case 0x95: bytes(8); break;                   // FRAME (a length hint)
        case '.':                                     // STOP
          if (end) *end = at_;
          return pop();
        case '(': push(make(Value::kMark)); break;    // MARK
        case 'N': push(make(Value::kNone)); break;
        case 0x88: case 0x89: {                       // NEWTRUE, NEWFALSE
          auto v = make(Value::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'J': push_int(static_cast<int32_t>(le(4))); break;  // BININT
        case 'K': push_int(le(1)); break;                         // BININT1
        case 'M': push_int(le(2)); break;                         // BININT2
        case 0x8a: long1(byte()); break;                          // LONG1
        case 0x8b: long1(static_cast<size_t>(le(4))); break;      // LONG4
        case 'G': {                                               // BINFLOAT (big-endian double)
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = bits << 8 | byte();
          auto v = make(Value::kFloat);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 'X': push_string(static_cast<size_t>(le(4))); break;  // BINUNICODE
        case 0x8c: push_string(byte()); break;                     // SHORT_BINUNICODE
        case 0x8d: push_string(static_cast<size_t>(le(8))); break; // BINUNICODE8
        case 'T': push_string(static_cast<size_t>(le(4))); break;  // BINSTRING
        case 'U': push_string(byte()); break;                      // SHORT_BINSTRING
        case 'B': push_string(static_cast<size_t>(le(4))); break;  // BINBYTES
        case 'C': push_string(byte()); break;                      // SHORT_BINBYTES
        case ')': push(make(Value::kTuple)); break;                // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: {                         // TUPLE1..3
          auto t = make(Value::kTuple);
          t->items.resize(op - 0x84);
          for (size_t k = t->items.size(); k-- > 0;) t->items[k] = pop();
          push(t);
          break;
        }
        case 't': {  // TUPLE
          auto t = make(Value::kTuple);
          t->items = pop_to_mark();
          push(t);
          break;
        }
        case ']': push(make(Value::kList)); break;  // EMPTY_LIST
        case 'l': {                                  // LIST
          auto l = make(Value::kList);
          l->items = pop_to_mark();
          push(l);
          break;
        }
        case '}': push(make(Value::kDict)); break;  // EMPTY_DICT
        case 'a': {                                  // APPEND
          Ref v = pop();
          expect(top(), Value::kList, "APPEND")->items.push_back(v);
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_to_mark();
          auto& l = expect(top(), Value::kList, "APPENDS")->items;
          l.insert(l.end(), items.begin(), items.end());
          break;
        }
        case 's': {  // SETITEM
          Ref v = pop(), k = pop();
          expect(top(), Value::kDict, "SETITEM")->dict.emplace_back(k, v);
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_to_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of values");
          auto d = expect(top(), Value::kDict, "SETITEMS");
          for (size_t k = 0; k < items.size(); k += 2) d->dict.emplace_back(items[k], items[k + 1]);
          break;
        }
        case 'q': memo_[byte()] = top(); break;                        // BINPUT
        case 'r': memo_[le(4)] = top(); break;                         // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;                 // MEMOIZE
        case 'h': push(memo(byte())); break;                           // BINGET
        case 'j': push(memo(le(4))); break;                            // LONG_BINGET
        case 'c': {                                                    // GLOBAL "module\nname\n"
          auto g = make(Value::kGlobal);
          g->s = line();
          g->s2 = line();
          push(g);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Ref name = pop(), module = pop();
          auto g = make(Value::kGlobal);
          g->s = expect(module, Value::kString, "STACK_GLOBAL")->s;
          g->s2 = expect(name, Value::kString, "STACK_GLOBAL")->s;
          push(g);
          break;
        }
        case 'Q': push(persistent(pop())); break;  // BINPERSID
        case 'R': {                                // REDUCE
          Ref args = pop(), fn = pop();
          push(reduce(fn, expect(args, Value::kTuple, "REDUCE")));
          break;
        }
        case 'b': pop(); break;  // BUILD: an OrderedDict's _metadata, a tensor's state: not needed
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("opcode ") + hex + " at byte " + std::to_string(at_ - 1) +
               ", which a state dict written by torch.save does not contain");
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("weights: '" + origin_ + "' is not a state dict as torch.save writes it (" + what +
                     "); export it with torch.save(model.state_dict(), path)");
  }
  uint8_t byte() {
    if (at_ >= n_) fail("the pickle ends early");
    return p_[at_++];
  }
  std::string_view bytes(size_t k) {
    if (k > n_ - at_) fail("the pickle ends early");
    std::string_view v(reinterpret_cast<const char*>(p_ + at_), k);
    at_ += k;
    return v;
  }
  uint64_t le(int k) {
    uint64_t v = 0;
    for (int b = 0; b < k; ++b) v |= uint64_t(byte()) << (8 * b);
    return v;
  }
  std::string line() {
    std::string s;
    for (char c; (c = static_cast<char>(byte())) != '\n';) s += c;
    return s;
  }
  void push(Ref v) {
    if (stack_.size() > 1000000) fail("a stack deeper than a million values");
    stack_.push_back(std::move(v));
  }
  void push_int(int64_t i) {
    auto v = make(Value::kInt);
    v->i = i;
    push(v);
  }
  void push_string(size_t k) {
    auto v = make(Value::kString);
    v->s = std::string(bytes(k));
    push(v);
  }
  void long1(size_t k) {
    const std::string_view b = bytes(k);
    if (k > 8) {
      auto v = make(Value::kBigInt);
      v->s = std::string(b);
      push(v);
      return;
    }
    uint64_t u = 0;
    for (size_t j = 0; j < k; ++j) u |= uint64_t(uint8_t(b[j])) << (8 * j);
    if (k > 0 && k < 8 && (uint8_t(b[k - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * k);  // sign-extend
    push_int(static_cast<int64_t>(u));
  }
  Ref pop() {
    if (stack_.empty()) fail("a value is taken from an empty stack");
    Ref v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Ref top() const {
    if (stack_.empty()) fail("a value is taken from an empty stack");
    return stack_.back();
  }
  std::vector<Ref> pop_to_mark() {
    std::vector<Ref> out;
    for (;;) {
      Ref v = pop();
      if (v->kind == Value::kMark) break;
      out.push_back(v);
    }
    return {out.rbegin(), out.rend()};
  }
  Ref memo(uint64_t k) const {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail("a memo entry read before it is written");
    return it->second;
  }
  Ref expect(const Ref& v, Value::Kind k, const char* op) const {
    if (v->kind != k) fail(std::string(op) + " on a value of the wrong kind");
    return v;
  }

  // ('storage', torch.FloatStorage, key, location, numel[, view_metadata]).
  Ref persistent(const Ref& pid) {
    if (pid->kind != Value::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Value::kString ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Value::kGlobal)
      fail("a persistent id that is not a tensor storage");
    auto st = make(Value::kStorage);
    const Ref& type = pid->items[1];
    if (type->s != "torch" || !storage_dtype(type->s2, st->tensor.dtype, st->tensor.element_size))
      fail("a storage of type " + type->s + "." + type->s2);
    st->tensor.storage_key = pid->items[2]->kind == Value::kString ? pid->items[2]->s : std::to_string(pid->items[2]->i);
    st->tensor.location = pid->items[3]->kind == Value::kString ? pid->items[3]->s : "";
    st->tensor.storage_numel = pid->items[4]->kind == Value::kInt ? pid->items[4]->i : 0;
    if (pid->items.size() > 5 && pid->items[5]->kind != Value::kNone)
      fail("a storage that is a view of another (written by torch older than 1.0)");
    return st;
  }

  std::vector<int64_t> ints(const Ref& t, const char* what) const {
    if (t->kind != Value::kTuple) fail(std::string("a tensor's ") + what + " that is not a tuple");
    std::vector<int64_t> out;
    for (const auto& v : t->items) {
      if (v->kind != Value::kInt || v->i < 0) fail(std::string("a tensor's ") + what + " holding a non-integer");
      out.push_back(v->i);
    }
    return out;
  }

  Ref reduce(const Ref& fn, const Ref& args) {
    if (fn->kind != Value::kGlobal) fail("REDUCE of something other than a known function");
    const std::string name = fn->s + "." + fn->s2;
    if (name == "collections.OrderedDict") return make(Value::kDict);  // items follow by SETITEMS
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args->items.size() < 4 || args->items[0]->kind != Value::kStorage || args->items[1]->kind != Value::kInt)
        fail("a tensor rebuilt from arguments it should not have");
      auto t = make(Value::kTensor);
      t->tensor = args->items[0]->tensor;
      t->tensor.storage_offset = args->items[1]->i;
      t->tensor.sizes = ints(args->items[2], "size");
      t->tensor.strides = ints(args->items[3], "stride");
      if (t->tensor.sizes.size() != t->tensor.strides.size()) fail("a tensor whose size and stride differ in length");
      return t;
    }
    if (name == "torch._utils._rebuild_parameter") {  // Parameter(data, requires_grad, hooks)
      if (args->items.empty() || args->items[0]->kind != Value::kTensor) fail("a parameter without a tensor");
      return args->items[0];
    }
    fail("the global " + name + ", which a state dict does not need and is not run");
  }

  const uint8_t* p_;
  size_t n_, at_ = 0;
  std::string origin_;
  std::vector<Ref> stack_;
  std::map<uint64_t, Ref> memo_;
};

void flatten(const Ref& dict, const std::string& prefix, PickledStateDict& out, int depth, const std::string& origin) {
  if (depth > 8) throw InputError("weights: '" + origin + "' nests dicts more than 8 deep");
  for (const auto& [k, v] : dict->dict) {
    if (k->kind != Value::kString) continue;
    const std::string name = prefix + k->s;
    if (v->kind == Value::kTensor) out.emplace_back(name, v->tensor);
    else if (v->kind == Value::kDict) flatten(v, name + ".", out, depth + 1, origin);
    // other values (an epoch number, a config string) are not weights
  }
}

}  // namespace

PickledStateDict read_state_dict_pickle(const uint8_t* data, size_t size, const std::string& origin, size_t* end) {
  Ref root = Machine(data, size, origin).run(end);
  if (root->kind != Value::kDict)
    throw InputError("weights: '" + origin +
                     "' holds a pickled object that is not a dict of tensors (a whole model saved with "
                     "torch.save(model)?); save model.state_dict() instead");
  PickledStateDict out;
  flatten(root, "", out, 0, origin);
  if (out.empty()) throw InputError("weights: '" + origin + "' holds a dict with no tensors");
  return out;
}

LegacyTorchFile read_legacy_torch_file(const uint8_t* data, size_t size, const std::string& origin) {
  // Magic number 0x1950a86a20f9469cfc6c as PROTO 2, LONG1 10 <bytes little-endian>, STOP.
  static const uint8_t kMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  if (size < 15 || data[0] != 0x80 || data[2] != 0x8a || data[3] != 10 || std::memcmp(data + 4, kMagic, 10) != 0 ||
      data[14] != '.')
    throw InputError("weights: '" + origin +
                     "' is neither a zip archive (torch.save since 1.6) nor a legacy torch.save file (its first "
                     "bytes are not torch's magic number); check that the file is a .pth/.pt and not truncated");
  size_t at = 15, end = 0;
  // The protocol version (1001) and the system information: plain values.
  for (int k = 0; k < 2; ++k) {
    Machine(data + at, size - at, origin).run(&end);
    at += end;
  }
  LegacyTorchFile out;
  out.tensors = read_state_dict_pickle(data + at, size - at, origin, &end);
  at += end;
  // The storage keys, in the order their bytes follow; each storage is an 8-byte element count
  // and its elements.
  const Ref keys = Machine(data + at, size - at, origin).run(&end);
  at += end;
  if (keys->kind != Value::kList) throw InputError("weights: '" + origin + "' has no list of storage keys after its state dict");
  std::map<std::string, size_t> element_size;
  for (const auto& [name, t] : out.tensors) element_size[t.storage_key] = t.element_size;
  for (const auto& key : keys->items) {
    if (key->kind != Value::kString) throw InputError("weights: '" + origin + "' lists a storage key that is not a string");
    auto it = element_size.find(key->s);
    if (it == element_size.end()) throw InputError("weights: '" + origin + "' lists storage " + key->s + ", which no tensor uses");
    if (at + 8 > size) throw InputError("weights: '" + origin + "' ends before storage " + key->s + "; download it again");
    uint64_t numel = 0;
    for (int b = 0; b < 8; ++b) numel |= uint64_t(data[at + b]) << (8 * b);
    at += 8;
    if (numel > (size - at) / it->second)
      throw InputError("weights: '" + origin + "' storage " + key->s + " is truncated; download the file again");
    out.storage_offsets.emplace_back(key->s, at);
    at += numel * it->second;
  }
  return out;
}

}  // namespace cmh::io
