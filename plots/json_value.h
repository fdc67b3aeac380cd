// A small JSON reader for the JSON columns of the store (protocol_json, cell_json): the writer
// side (harness/common/json.h) has no reader, and plots/ must not pull in a JSON library.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cmh::plots {

/// One parsed JSON value. Lookups of absent keys or wrong types give defaults, never throw:
/// the report must survive rows written by older or newer runners.
class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  /// Parses `text`; throws std::runtime_error naming the offset on malformed input.
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

}  // namespace cmh::plots
