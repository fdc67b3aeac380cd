// The one JSON reader of cmhbench (the writer is json.h): the store's JSON columns for reports and
// checks, and the progress lines of external programs, which are untrusted, so the parser is
// strict (RFC 8259: no NaN, no leading '+', control characters escaped) and caps nesting.
// Torch-free, no dependency.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cmh {

/// One parsed JSON value. Lookups of absent keys or wrong types give defaults, never throw:
/// the report must survive rows written by older or newer runners.
class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  /// Parses one value that fills `text` (whitespace around it allowed); malformed text, or more
  /// than 64 levels of nesting, throws std::runtime_error ("JSON: expected … at offset N").
  static JsonValue parse(const std::string& text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  /// Member of an object (a shared null value when absent or not an object).
  const JsonValue& operator[](const std::string& key) const;
  bool has(const std::string& key) const { return object_.count(key) > 0; }
  const std::vector<JsonValue>& items() const { return array_; }
  const std::map<std::string, JsonValue>& members() const { return object_; }

  std::string str(const std::string& fallback = "") const { return type_ == Type::String ? string_ : fallback; }
  double num(double fallback = 0) const { return type_ == Type::Number ? number_ : fallback; }
  bool boolean(bool fallback = false) const { return type_ == Type::Bool ? bool_ : fallback; }

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace cmh
