// JsonValue: a strict recursive-descent parser; nesting is capped so that a hostile line (an
// external program's progress channel) cannot exhaust the stack.
#include "common/json_value.h"

#include <cstdlib>
#include <stdexcept>

namespace cmh {

constexpr int kMaxDepth = 64;

class JsonParser {
 public:
  explicit JsonParser(const std::string& t) : t_(t) {}

  JsonValue document() {
    JsonValue v = value(0);
    space();
    if (i_ != t_.size()) fail("the end of the text");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    throw std::runtime_error("JSON: expected " + expected + " at offset " + std::to_string(i_));
  }
  void space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  bool take(char c) {
    space();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect_word(const char* w) {
    for (const char* p = w; *p; ++p, ++i_)
      if (i_ >= t_.size() || t_[i_] != *p) fail(std::string("'") + w + "'");
  }

  JsonValue value(int depth) {
    if (depth > kMaxDepth) fail("at most 64 levels of nesting");
    space();
    if (i_ >= t_.size()) fail("a value");
    JsonValue v;
    const char c = t_[i_];
    if (c == '{') {
      ++i_;
      v.type_ = JsonValue::Type::Object;
      if (take('}')) return v;
      do {
        space();
        if (i_ >= t_.size() || t_[i_] != '"') fail("a quoted member name");
        std::string k = string();
        if (!take(':')) fail("':'");
        v.object_[k] = value(depth + 1);
      } while (take(','));
      if (!take('}')) fail("',' or '}'");
    } else if (c == '[') {
      ++i_;
      v.type_ = JsonValue::Type::Array;
      if (take(']')) return v;
      do v.array_.push_back(value(depth + 1));
      while (take(','));
      if (!take(']')) fail("',' or ']'");
    } else if (c == '"') {
      v.type_ = JsonValue::Type::String;
      v.string_ = string();
    } else if (c == 't') {
      expect_word("true");
      v.type_ = JsonValue::Type::Bool;
      v.bool_ = true;
    } else if (c == 'f') {
      expect_word("false");
      v.type_ = JsonValue::Type::Bool;
    } else if (c == 'n') {
      expect_word("null");
    } else {
      v.type_ = JsonValue::Type::Number;
      v.number_ = number();
    }
    return v;
  }

  double number() {
    const size_t start = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    auto digits = [&] {
      const size_t s = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      return i_ > s;
    };
    const size_t first = i_;
    if (!digits()) fail("a value");
    if (t_[first] == '0' && i_ - first > 1) fail("no leading zeros");
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (!digits()) fail("digits after '.'");
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) fail("exponent digits");
    }
    return std::strtod(t_.substr(start, i_ - start).c_str(), nullptr);
  }

  unsigned hex4() {
    if (i_ + 4 > t_.size()) fail("four hex digits");
    unsigned u = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = t_[i_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f') u |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= static_cast<unsigned>(h - 'A' + 10);
      else fail("a hex digit");
    }
    return u;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    ++i_;  // the opening quote
    std::string out;
    while (i_ < t_.size() && t_[i_] != '"') {
      char c = t_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("no control characters inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= t_.size()) fail("an escape");
      c = t_[i_++];
      switch (c) {
        case '"': case '\\': case '/': out += c; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && i_ + 6 <= t_.size() && t_[i_] == '\\' && t_[i_ + 1] == 'u') {
            i_ += 2;
            const unsigned lo = hex4();
            if (lo >= 0xDC00 && lo < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else fail("a low surrogate");
          }
          utf8(out, cp);
          break;
        }
        default: fail("a valid escape");
      }
    }
    if (i_ >= t_.size()) fail("the closing quote");
    ++i_;
    return out;
  }

  const std::string& t_;
  size_t i_ = 0;
};

JsonValue JsonValue::parse(const std::string& text) { return JsonParser(text).document(); }

const JsonValue& JsonValue::operator[](const std::string& key) const {
  static const JsonValue kNull;
  auto it = object_.find(key);
  return it == object_.end() ? kNull : it->second;
}

}  // namespace cmh
