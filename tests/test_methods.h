// The program's built-in methods, for tests: one registry per test program, built on first use
// (the harness takes the registry it is given; see harness/cli/builtin_methods.h).
#pragma once

#include <string>
#include <vector>

#include "cli/builtin_methods.h"

namespace cmh::test {

inline const Registry& methods() {
  static const Registry r = builtin_methods();
  return r;
}

/// The built-in methods of one kind, in table order.
inline std::vector<std::string> method_names(MethodKind kind) {
  std::vector<std::string> out;
  for (const auto& n : methods().names())
    if (methods().at(n).kind == kind) out.push_back(n);
  return out;
}

}  // namespace cmh::test
