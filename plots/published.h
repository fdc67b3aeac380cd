// Published mAP values (results/reference/published_map.csv, copied from
// shared/reference/published_map.csv): what the papers report, shown beside our numbers.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cmh::plots {

struct PublishedValue {
  std::string source, dataset, method, direction;  ///< method = display name ("SePH-km")
  int bits = 0;
  double map = 0;
  std::string features, notes;
};

class PublishedValues {
 public:
  PublishedValues() = default;
  /// Reads the CSV (columns source,dataset,method,direction,bits,map,features,notes).
  /// A missing or malformed file is a cmh::InputError naming the path and the fix.
  static PublishedValues load(const std::string& path);

  /// The first value (file order) for a dataset base name, display name, direction and length.
  std::optional<PublishedValue> find(const std::string& dataset, const std::string& method,
                                     const std::string& direction, int bits) const;
  const std::vector<PublishedValue>& all() const { return values_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<PublishedValue> values_;
};

}  // namespace cmh::plots
