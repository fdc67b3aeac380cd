// Binary codes stored in a .mat file (items × bits, all in {−1,+1} or all in {0,1}): the layout
// `cmhbench eval` reads and external programs write. Torch-free.
#pragma once

#include <optional>
#include <string>

#include "eval/packed.h"
#include "io/mat_file.h"

namespace cmh::io {

/// Reads variable `var` as codes; nullopt when it is absent and not `required` (a required one
/// that is absent throws, naming the variables the file holds). Anything that is not a 2-D
/// matrix of codes (NaN, 0.5, a mix of −1 and 0, more bits than PackedBits holds) is a
/// cmh::InputError that starts with `context` and names the variable, the item and the bit.
std::optional<eval::PackedBits> read_codes(const MatReader& mat, const std::string& var, bool required,
                                           bool items_are_cols, const std::string& context);

}  // namespace cmh::io
