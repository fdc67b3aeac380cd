// A small hand-made results database for report tests: two datasets (one with a synthetic image
// modality), two seeds of one cell, a failed and a running cell, training epochs, SCAHN-style
// bitscale curves, a method's note and a test-set selection; every value known in advance.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "store/store.h"

namespace cmh::test {

// How runs record their method (display name, kind, place in table order: harness/runner.cpp),
// as cmhbench's registry declares these four; other names are recorded as themselves.
inline std::string method_record(const std::string& method) {
  struct Known {
    const char *name, *display, *kind;
    int rank;
  };
  static const Known known[] = {{"cca", "CCA", "shallow", 0}, {"cmfh", "CMFH", "shallow", 5},
                                {"mlsph", "MLSPH", "deep", 13}, {"scahn", "SCAHN", "deep", 14}};
  for (const auto& k : known)
    if (method == k.name)
      return std::string(R"j("method":{"display":")j") + k.display + R"j(","kind":")j" + k.kind +
             R"j(","rank":)j" + std::to_string(k.rank) + "},";
  return "";
}

/// What the crafted runs record as the runner and methods would: SCAHN a deviation from its
/// reference code, MLSPH an epoch chosen on the test set (harness/runner.cpp's note).
inline const char* kScahnNote = "scahn: bit_rank = reference reproduces a defect of the reference code";
inline const char* kTestSelectionNote =
    "selection best_query: the epoch is chosen on the query (test) set, as the reference code does; results are optimistic";

inline std::string protocol(bool synthetic_image, const std::string& method = "") {
  const bool peeks = method == "mlsph";
  const std::string notes = method == "scahn" ? std::string("\"") + kScahnNote + "\""
                            : peeks           ? std::string("\"") + kTestSelectionNote + "\""
                                              : "";
  return "{" + method_record(method) + std::string(R"j("query":100,"train":300,"database":500,"split":"seeded permutation (legacy NumPy)",)j") +
         R"j("selection":")j" + (peeks ? "best_query" : "final") + R"j(","selection_peeks_at_test":)j" +
         (peeks ? "true" : "false") + R"j(,"tie_rule":"ties in Hamming distance broken by database index, ascending",)j" +
         R"j("synthetic_image":)j" + (synthetic_image ? "true" : "false") +
         R"j(,"synthetic_text":false,"image_source":")j" + (synthetic_image ? "synthetic(seed=6)" : "wikiData.mat:I_tr") +
         R"j(","text_source":"tags.mat:YAll","notes":[)j" + notes + "]}";
}

inline store::RunRecord record(const std::string& method, const std::string& dataset, int bits, int64_t seed) {
  store::RunRecord r;
  r.experiment = "crafted";
  r.cell_key = method + "-" + std::to_string(bits) + "-" + std::to_string(seed) + "-" + dataset.substr(0, 4);
  r.cell_json = R"({"method":{"label":")" + method + R"(","name":")" + method + R"("}})";
  r.method = method;
  r.dataset = dataset;
  r.bits = bits;
  r.seed = seed;
  r.params_json = "{}";
  r.protocol_json = protocol(dataset.find("synthetic") != std::string::npos, method);
  r.code_revision = "abc1234";
  r.host = "test";
  r.device = "cpu";
  r.threads = 1;
  r.library_versions_json = "{}";
  r.data_fingerprints_json = "[]";
  return r;
}

/// i2t map = base, t2i = base + 0.02, i2i = base + 0.05, t2t = base + 0.07; curves for all four.
inline void finish(store::Store& db, int64_t id, double base, int bits, std::vector<store::EpochValue> epochs = {},
                   std::vector<store::CurvePoint> extra = {}) {
  std::vector<store::Metric> m;
  std::vector<store::CurvePoint> c = std::move(extra);
  const std::pair<const char*, double> dirs[] = {{"i2t", 0}, {"t2i", 0.02}, {"i2i", 0.05}, {"t2t", 0.07}};
  for (const auto& [d, off] : dirs) {
    m.push_back({d, "map", base + off});
    m.push_back({d, "map@100", base + off + 0.01});
    m.push_back({d, "p@r2", base + off + 0.03});
    m.push_back({d, "queries_without_relevant", 0});
    for (int r = 0; r <= bits; ++r) {
      const double recall = r == 0 ? 0.0 : static_cast<double>(r) / bits;
      const double precision = r == 0 ? 0.0 : base + off + 0.3 * (1 - recall);
      c.push_back({d, "pr", r, recall, precision});
    }
    for (int i = 0; i < 5; ++i) c.push_back({d, "topn", i, 100.0 * (i + 1), base + off + 0.1 - 0.02 * i});
  }
  db.finish_run(id, m, c, epochs, {});
}

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline const char* kSynthetic = "mirflickr25k (synthetic images)";

/// Writes the crafted database to `path`.
inline void make_crafted_db(const std::string& path) {
  store::Store db(path);
  finish(db, db.begin_run(record("cca", kSynthetic, 16, 1)), 0.60, 16);
  finish(db, db.begin_run(record("cca", kSynthetic, 16, 2)), 0.64, 16);
  db.fail_run(db.begin_run(record("cca", kSynthetic, 32, 1)), "out of memory while training");
  finish(db, db.begin_run(record("cmfh", "wikipedia", 16, 1)), 0.25, 16);
  db.begin_run(record("mlsph", kSynthetic, 16, 1));  // still running
  std::vector<store::EpochValue> ep;
  for (int e = 1; e <= 4; ++e) {
    ep.push_back({e, "loss", 10.0 / e});
    ep.push_back({e, "lr", 0.01 / e});
  }
  finish(db, db.begin_run(record("mlsph", kSynthetic, 32, 1)), 0.70, 32, ep);
  finish(db, db.begin_run(record("scahn", kSynthetic, 16, 1)), 0.66, 16);
  std::vector<store::CurvePoint> bitscale;
  for (const char* d : {"i2t", "t2i"})
    for (int i = 0; i < 3; ++i) bitscale.push_back({d, "bitscale", i, 8.0 * (1 << i), 0.60 + 0.03 * i});
  finish(db, db.begin_run(record("scahn", kSynthetic, 32, 1)), 0.69, 32, {}, bitscale);
}

/// A small published-values file: CCA on MIRFLICKR (our run is synthetic: not comparable) and
/// CMFH on Wikipedia (real data: comparable, with a difference).
inline const char* kPublishedCsv =
    "source,dataset,method,direction,bits,map,features,notes\n"
    "paper-a,mirflickr25k,CCA,i2t,16,0.5719,CNN-F features,\n"
    "paper-b,wikipedia,CMFH,i2t,16,0.213,SIFT + LDA,\"quoted, 3 decimals\"\n";

}  // namespace cmh::test
