// libFuzzer entry point: tests/fuzz/targets.h, mat_one.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cmh::fuzz::mat_one(data, size);
  return 0;
}
