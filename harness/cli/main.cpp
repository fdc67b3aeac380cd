// The full `cmhbench` (build/libexec/cmhbench): every command over the built-in methods.
#include "cli/builtin_methods.h"
#include "cli/dispatch.h"

int main(int argc, char** argv) {
  const cmh::Registry methods = cmh::builtin_methods();
  return cmh::cli::full_main(argc, argv, methods);
}
