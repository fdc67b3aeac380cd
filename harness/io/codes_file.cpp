// Reading binary codes from a .mat file.
#include "io/codes_file.h"

#include <vector>

#include "common/error.h"

namespace cmh::io {

// Reads an items×bits code matrix in {−1,+1} or {0,1}; refuses anything else.
std::optional<eval::PackedBits> read_codes(const MatReader& mat, const std::string& var, bool required,
                                           bool items_are_cols, const std::string& context) {
  if (!mat.has(var)) {
    if (required) mat.info(var);  // throws, naming the variables the file holds
    return std::nullopt;
  }
  const MatArray<double> a = mat.read_double(var);
  if (a.dims.size() != 2)
    throw InputError(context + ": '" + mat.path() + "' variable '" + var + "' has " +
                     std::to_string(a.dims.size()) + " dimensions; codes must be a 2-D items×bits matrix");
  const std::vector<double> v = to_row_major(a, items_are_cols);
  const size_t n = items_are_cols ? a.cols() : a.rows();
  const size_t bits = items_are_cols ? a.rows() : a.cols();
  if (n == 0 || bits == 0)
    throw InputError(context + ": '" + mat.path() + "' variable '" + var + "' is empty (" +
                     mat.info(var).shape() + ")");
  if (bits > static_cast<size_t>(eval::PackedBits::kMaxBits))
    throw InputError(context + ": '" + mat.path() + "' variable '" + var + "' has " + std::to_string(bits) +
                     " bits per item (max " + std::to_string(eval::PackedBits::kMaxBits) +
                     "); if items are columns, pass --layout cols");
  bool has_neg = false, has_zero = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (x == -1.0) has_neg = true;
    else if (x == 0.0) has_zero = true;
    else if (x != 1.0)
      throw InputError(context + ": '" + mat.path() + "' variable '" + var + "' holds the value " +
                       std::to_string(x) + " at item " + std::to_string(i / bits) + ", bit " +
                       std::to_string(i % bits) +
                       "; codes must be binary, all in {-1,+1} or all in {0,1} (binarise with sign first)");
  }
  if (has_neg && has_zero)
    throw InputError(context + ": '" + mat.path() + "' variable '" + var +
                     "' mixes -1 and 0; codes must be all in {-1,+1} or all in {0,1}");
  std::vector<uint8_t> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = v[i] > 0.0 ? 1 : 0;
  return eval::PackedBits::from_binary(b.data(), n, static_cast<int>(bits));
}

}  // namespace cmh::io
