// The small CSV and JSON readers of plots/: quoting, comments, malformed input.
#include <catch2/catch.hpp>

#include "plots/csv.h"
#include "common/json_value.h"

using cmh::JsonValue;
using cmh::plots::parse_csv;

TEST_CASE("CSV round-trips quoted fields and keeps leading comments", "[plots][csv]") {
  const std::string text = "# a comment, with a comma\n" + cmh::plots::csv_row({"a", "b", "c"}) +
                           cmh::plots::csv_row({"x,y", "say \"hi\"", "#not a comment"}) + "\n" +
                           cmh::plots::csv_row({"1", "", "multi\nline"});
  const auto t = parse_csv(text);
  REQUIRE(t.comments.size() == 1);
  CHECK(t.comments[0] == " a comment, with a comma");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0].at("a") == "x,y");
  CHECK(t.rows[0].at("b") == "say \"hi\"");
  CHECK(t.rows[0].at("c") == "#not a comment");
  CHECK(t.rows[1].at("b").empty());
  CHECK(t.rows[1].at("c") == "multi\nline");
  CHECK(t.lines[1] == 5);
}

TEST_CASE("CSV refuses rows of the wrong width and unterminated quotes", "[plots][csv]") {
  CHECK_THROWS_WITH(parse_csv("a,b\n1,2,3\n"), Catch::Contains("line 2"));
  CHECK_THROWS_WITH(parse_csv("a,b\n\"1,2\n"), Catch::Contains("unterminated"));
}

TEST_CASE("JSON reader reads what the runner writes", "[plots][json]") {
  const auto v = JsonValue::parse(R"({"query":500,"synthetic_image":true,"notes":["a \"b\"","c\u00e9"],"x":null,"y":-1.5e-3})");
  CHECK(v["query"].num() == 500);
  CHECK(v["synthetic_image"].boolean());
  REQUIRE(v["notes"].items().size() == 2);
  CHECK(v["notes"].items()[0].str() == "a \"b\"");
  CHECK(v["notes"].items()[1].str() == "cé");
  CHECK(v["x"].is_null());
  CHECK(v["y"].num() == Approx(-0.0015));
  CHECK(v["absent"]["deeper"].str("fallback") == "fallback");
  CHECK_THROWS(JsonValue::parse("{\"a\":}"));
  CHECK_THROWS(JsonValue::parse("[1,2"));
}
