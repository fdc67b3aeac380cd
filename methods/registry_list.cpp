// The built-in methods, registered by explicit calls (a static library would silently drop
// self-registering objects that nothing references).
#include "baselines/cca/cca.h"
#include "method.h"

namespace cmh {

const Registry& Registry::builtin() {
  static const Registry registry = [] {
    Registry r;
    r.add(baselines::cca_method_info());
    return r;
  }();
  return registry;
}

}  // namespace cmh
