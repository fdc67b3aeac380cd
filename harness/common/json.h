// A minimal JSON writer for machine-readable output (`--json`) and the params column of the
// store; torch-free, no dependency. Numbers are written with 17 significant digits so that a
// value read back is the value written.
#pragma once

#include <string>
#include <vector>

namespace cmh {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(const std::string& k);
  JsonWriter& value(const std::string& v);
  JsonWriter& value(const char* v) { return value(std::string(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(long long v);
  JsonWriter& value(int v) { return value(static_cast<long long>(v)); }
  JsonWriter& value(size_t v) { return value(static_cast<long long>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& null();
  /// Inserts already-formatted JSON (e.g. a nested document) as one value.
  JsonWriter& raw(const std::string& json);
  const std::string& str() const { return out_; }

  static std::string quote(const std::string& s);

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace cmh
