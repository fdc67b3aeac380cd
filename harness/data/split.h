// Query / train / database splits: the legacy-NumPy permutation of the DCMH protocol and the
// per-dataset default protocols (design/PROTOCOL.md, "Datasets and splits").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace cmh::data {

/// numpy.random.RandomState(seed).permutation(n), index for index: std::mt19937(seed) (NumPy's
/// legacy init_genrand), then Fisher–Yates from the last index down, each j drawn in [0, i] by
/// masking 32-bit draws to the smallest all-ones mask >= i and rejecting values > i.
std::vector<int64_t> legacy_numpy_permutation(uint32_t seed, size_t n);

/// The seeded split rule: perm = legacy_numpy_permutation(seed, n); query = perm[0:query],
/// train = perm[query:query+train], database = perm[query:] (all non-query items).
struct Protocol {
  uint32_t seed = 0;
  size_t query = 0;
  size_t train = 0;
};

/// The protocol of the DCMH / torchcmh line of work for a known dataset name ("mirflickr25k",
/// "nus-wide", "iapr-tc12", "mscoco", optionally followed by " (variant)", e.g. "mirflickr25k (CNN-F fc7
/// features)"); nullopt for others (e.g. "wikipedia", whose split is fixed).
std::optional<Protocol> default_protocol(std::string_view dataset_name);

/// The dataset's fixed split when it has one (the protocol does not apply then), otherwise the
/// seeded split under `p`. InputError ("data::make_split: …") when query == 0, train == 0,
/// query + train > n, or a fixed split is inconsistent with the dataset.
Split make_split(const Dataset& d, const Protocol& p);

/// Checks that every index lies in [0, n), no set repeats an index, and no set is empty;
/// `origin` starts the InputError message.
void validate_split(const Split& s, size_t n, const std::string& origin);

}  // namespace cmh::data
