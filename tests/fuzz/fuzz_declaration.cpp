// libFuzzer entry point: tests/fuzz/targets.h, declaration_one.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cmh::fuzz::declaration_one(data, size);
  return 0;
}
