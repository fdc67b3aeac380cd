// A small JSON reader (RFC 8259 values) for what programs outside cmhbench send back: an
// external method's progress lines. Torch-free, no dependency.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cmh {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> items;                             ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject, in the text's order
  /// The member named `key` of an object (nullptr when absent or not an object).
  const JsonValue* find(const std::string& key) const;
};

/// Parses one JSON value that fills `text` (surrounding whitespace allowed). Malformed text throws
/// std::runtime_error naming the offset and what was expected.
JsonValue parse_json(const std::string& text);

}  // namespace cmh
