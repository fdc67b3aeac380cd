// The methods cmhbench is built with. Torch-free header; the definition links every method.
#pragma once

#include "method.h"

namespace cmh {

/// Every built-in method, in the order of the report's tables (baselines first, the papers'
/// methods last, external programs after them). One line per method: builtin_methods.cpp.
Registry builtin_methods();

}  // namespace cmh
