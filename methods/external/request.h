// What an external program is handed for one cell: the request file (JSON) and the data it
// points to. Format reference: methods/external/README.md. Torch-free.
#pragma once

#include <string>

#include "data/dataset.h"

namespace cmh::external {

/// The request's format name; a program may refuse a format it does not know.
inline constexpr const char* kRequestFormat = "cmhbench-external-request/1";

/// The dataset as the program reads it: labels and feature modalities (and pixels without a file
/// of their own, e.g. synthetic ones) in one .mat written once per dataset under `cache_dir`
/// (named by a hash of its contents, written to a temporary name and renamed, so cells and
/// processes share it safely); pixels that lie in one variable of a declared file are named
/// where they are, never copied, unless `materialise_pixels`. Returns the request's "data"
/// object (JSON).
std::string hand_over_data(const data::Dataset& dataset, const std::string& cache_dir, bool materialise_pixels);

}  // namespace cmh::external
