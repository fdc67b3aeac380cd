// libFuzzer entry point: tests/fuzz/targets.h, experiment_one.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cmh::fuzz::experiment_one(data, size);
  return 0;
}
