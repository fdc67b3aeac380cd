// Tiny experiment files for harness tests: an inline synthetic dataset small enough for seconds.
#pragma once

#include <fstream>
#include <string>

namespace cmh::test {

inline const char* kTinyDataset = R"(
[[datasets]]
name = "tiny"
[datasets.synthetic]
seed = 3
n = 600
tag_dim = 200
image_dim = 64
[datasets.protocol]
seed = 1
query = 100
train = 300
)";

/// A valid experiment: two method entries (CCA at two regularisations) × `bits` × seeds.
inline std::string tiny_experiment(const std::string& name = "tiny", const std::string& bits = "[8, 16]",
                                   const std::string& seeds = "[1]") {
  return "name = \"" + name + "\"\nbits = " + bits + "\nseeds = " + seeds + "\nthreads = 1\n" + kTinyDataset +
         R"(
[[methods]]
name = "cca"
[[methods]]
name = "cca"
label = "cca-strong-ridge"
[methods.params]
reg = 0.5
)";
}

inline void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace cmh::test
