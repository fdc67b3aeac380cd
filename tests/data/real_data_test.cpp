// The shipped declarations on the real data in ../shared/data (skipped, with a warning, when the
// data are absent): MIRFLICKR-25K labels/tags with the reference split, and Wikipedia. data_root
// is taken from CMH_SHARED_DIR, so a CI that keeps the data elsewhere still runs them.
#include <catch2/catch.hpp>

#include "data/dataset_checks.h"
#include "data/declaration.h"
#include "data_test_util.h"

using namespace cmh::data;
using cmh::test::shared_data;
using cmh::test::shipped_declaration;

TEST_CASE("real data: MIRFLICKR-25K labels and tags, synthetic images, reference split",
          "[data][real]") {
  CMH_SKIP_UNLESS_EXISTS(shared_data("mirflickr25k/mirflickr25k-lall.mat"));
  CMH_SKIP_UNLESS_EXISTS(shared_data("mirflickr25k/mirflickr25k-yall.mat"));
  const DatasetDeclaration decl = parse_declaration_file(
      shipped_declaration("mirflickr25k-shared.toml"), shared_data("mirflickr25k"));
  const Dataset d = load_dataset(decl);
  CHECK(d.name == "mirflickr25k (synthetic images)");
  CHECK(d.n == 20015);
  CHECK(d.num_labels == 24);
  CHECK(d.text.n == 20015);
  CHECK(d.text.dim == 1386);
  CHECK_FALSE(d.text.synthetic);
  CHECK(d.image.synthetic);
  CHECK(d.image.n == 20015);
  CHECK(d.unlabelled_items == 0);
  const DatasetSummary s = summarize(d);
  CHECK(s.labels_per_item_mean == Approx(3.78).margin(0.005));
  CHECK(s.labels_per_item_min == 1);
  CHECK(s.text.nonzero_per_item == Approx(4.64).margin(0.005));
  CHECK(s.text.density == Approx(0.0033).margin(0.0001));
  CHECK(d.fingerprints.size() == 2);

  const Split split = make_split(d, decl);
  CHECK(split.query.size() == 2000);
  CHECK(split.train.size() == 10000);
  CHECK(split.database.size() == 18015);
  REQUIRE(split.query.size() >= 3);
  CHECK(split.query[0] == 9633);
  CHECK(split.query[1] == 3242);
  CHECK(split.query[2] == 302);
}

TEST_CASE("real data: Wikipedia with its fixed split", "[data][real]") {
  CMH_SKIP_UNLESS_EXISTS(shared_data("wikipedia/wikiData.mat"));
  const DatasetDeclaration decl =
      parse_declaration_file(shipped_declaration("wikipedia.toml"), shared_data("wikipedia"));
  const Dataset d = load_dataset(decl);
  CHECK(d.name == "wikipedia");
  CHECK(d.n == 2866);
  CHECK(d.num_labels == 10);
  CHECK(d.image.dim == 128);
  CHECK(d.text.dim == 10);
  CHECK_FALSE(d.any_synthetic());
  const DatasetSummary s = summarize(d);
  CHECK(s.labels_per_item_min == 1);  // single-label: exactly one class per pair
  CHECK(s.labels_per_item_max == 1);
  const Split split = make_split(d, decl);
  CHECK(split.query.size() == 693);
  CHECK(split.train.size() == 2173);
  CHECK(split.database.size() == 2173);
  CHECK(split.query.front() == 2173);  // the test part follows the train part

  CMH_SKIP_UNLESS_EXISTS(shared_data("wikipedia/raw_features_tfidf.mat"));
  const Dataset t = load_dataset(parse_declaration_file(shipped_declaration("wikipedia-tfidf.toml"),
                                                        shared_data("wikipedia")));
  CHECK(t.n == 2866);
  CHECK(t.text.dim == 1000);
  CHECK(t.labels == d.labels);
  CHECK(t.image.features == d.image.features);
  CHECK(t.fingerprints.size() == 2);
}
