// tune_allocator.
#include "common/allocator.h"

#include <malloc.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace cmh {

bool tune_allocator() {
  const char* env = std::getenv("CMHBENCH_MALLOC");
  if (env && std::strcmp(env, "default") == 0) return false;
#ifdef M_MMAP_MAX
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#else
  return false;
#endif
}

}  // namespace cmh
