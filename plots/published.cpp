// PublishedValues: reading and matching.
#include "published.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "csv.h"

namespace cmh::plots {

PublishedValues PublishedValues::load(const std::string& path) {
  PublishedValues p;
  p.path_ = path;
  const CsvTable t = read_csv_file(path, "published values");
  for (const char* col : {"source", "dataset", "method", "direction", "bits", "map"}) {
    bool found = false;
    for (const auto& h : t.header) found |= h == col;
    if (!found)
      throw InputError("published values '" + path + "': no column '" + col +
                       "'; the header must be source,dataset,method,direction,bits,map,features,notes");
  }
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    PublishedValue v;
    v.source = r.at("source");
    v.dataset = r.at("dataset");
    v.method = r.at("method");
    v.direction = r.at("direction");
    try {
      v.bits = std::stoi(r.at("bits"));
      v.map = std::stod(r.at("map"));
    } catch (const std::exception&) {
      throw InputError("published values '" + path + "' line " + std::to_string(t.lines[i]) +
                       ": bits and map must be numbers; fix the row");
    }
    if (r.count("features")) v.features = r.at("features");
    if (r.count("notes")) v.notes = r.at("notes");
    p.values_.push_back(std::move(v));
  }
  return p;
}

namespace {

// Display names and registry names differ in case only ("SePH-km", "seph-km"): a store written
// before runs recorded their display name still finds its published values.
bool same_method(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<PublishedValue> PublishedValues::find(const std::string& dataset, const std::string& method,
                                                    const std::string& direction, int bits) const {
  for (const auto& v : values_)
    if (v.dataset == dataset && same_method(v.method, method) && v.direction == direction && v.bits == bits) return v;
  return std::nullopt;
}

}  // namespace cmh::plots
