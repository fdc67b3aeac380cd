// The JSON reader that external programs' progress lines go through: values, escapes, nesting,
// and malformed text refused with its offset.
#include <catch2/catch.hpp>

#include <string>

#include "common/json_reader.h"

using cmh::JsonValue;
using cmh::parse_json;

TEST_CASE("json: an object of numbers, strings, booleans, null, arrays and objects", "[json]") {
  const JsonValue v = parse_json(R"( {"epoch": 3, "loss": -1.5e-2, "name": "a\"b\\c\u00e9\ud83d\ude00", "ok": true,
                                      "no": false, "none": null, "list": [1, [2], {}], "obj": {"x": 0}} )");
  REQUIRE(v.kind == JsonValue::Kind::kObject);
  CHECK(v.find("epoch")->number == 3);
  CHECK(v.find("loss")->number == -0.015);
  CHECK(v.find("name")->string == "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(v.find("ok")->boolean);
  CHECK(v.find("no")->kind == JsonValue::Kind::kBool);
  CHECK(!v.find("no")->boolean);
  CHECK(v.find("none")->kind == JsonValue::Kind::kNull);
  CHECK(v.find("list")->items.size() == 3);
  CHECK(v.find("list")->items[1].items[0].number == 2);
  CHECK(v.find("obj")->find("x")->number == 0);
  CHECK(v.find("absent") == nullptr);
  CHECK(v.members.front().first == "epoch");  // the text's order
}

TEST_CASE("json: malformed text is refused, naming where", "[json]") {
  for (const std::string bad : {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"open", "{\"a\": tru}", "01x",
                                "1.", "-", "{\"a\": 1} trailing", "\"\\x\"", "\"tab\there\"", "{a: 1}"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parse_json(bad), Catch::Contains("JSON: expected") && Catch::Contains("at offset"));
  }
  CHECK_THROWS_WITH(parse_json(std::string(100, '[') + std::string(100, ']')), Catch::Contains("64 levels"));
}
