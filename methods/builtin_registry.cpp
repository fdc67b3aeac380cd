// The registry of the cmhbench executable: every built-in method. A test program may define its
// own Registry::builtin() instead (tests/check/defect_registry.cpp); the linker then leaves this
// file out of the static library.
#include "method.h"

namespace cmh {

const Registry& Registry::builtin() {
  static const Registry registry = [] {
    Registry r;
    add_builtin_methods(r);
    return r;
  }();
  return registry;
}

}  // namespace cmh
