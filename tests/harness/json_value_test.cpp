// The one JSON reader (harness/common/json_value.h), which external programs' progress lines go
// through: values, escapes, nesting; malformed text refused with its offset; NaN, '+1' and
// unescaped control characters refused (RFC 8259); nesting capped.
#include <catch2/catch.hpp>

#include <string>

#include "common/json_value.h"

using cmh::JsonValue;

TEST_CASE("json: an object of numbers, strings, booleans, null, arrays and objects", "[json]") {
  const JsonValue v = JsonValue::parse(R"( {"epoch": 3, "loss": -1.5e-2, "name": "a\"b\\c\u00e9\ud83d\ude00", "ok": true,
                                            "no": false, "none": null, "list": [1, [2], {}], "obj": {"x": 0}} )");
  REQUIRE(v.type() == JsonValue::Type::Object);
  CHECK(v["epoch"].num() == 3);
  CHECK(v["loss"].num() == -0.015);
  CHECK(v["name"].str() == "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(v["ok"].boolean());
  CHECK(v["no"].type() == JsonValue::Type::Bool);
  CHECK(!v["no"].boolean(true));
  CHECK(v["none"].is_null());
  CHECK(v["list"].items().size() == 3);
  CHECK(v["list"].items()[1].items()[0].num() == 2);
  CHECK(v["obj"]["x"].num(-1) == 0);
  CHECK(v["absent"].is_null());
  CHECK(!v.has("absent"));
}

TEST_CASE("json: malformed text is refused, naming where", "[json]") {
  for (const std::string bad : {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"open", "{\"a\": tru}", "01x", "007", "1.",
                                "-", "+1", "nan", "{\"a\": NaN}", "inf", "0x10", "{\"a\": 1} trailing", "\"\\x\"",
                                "\"\\u12g4\"", "\"tab\there\"", "{a: 1}"}) {
    INFO(bad);
    CHECK_THROWS_WITH(JsonValue::parse(bad), Catch::Contains("JSON: expected") && Catch::Contains("at offset"));
  }
  CHECK_THROWS_WITH(JsonValue::parse(std::string(100, '[') + std::string(100, ']')), Catch::Contains("64 levels"));
  CHECK_NOTHROW(JsonValue::parse(std::string(60, '[') + std::string(60, ']')));
}
