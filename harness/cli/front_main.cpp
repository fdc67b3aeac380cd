// `cmhbench`: the commands that need no LibTorch run here and start in milliseconds (the full
// executable spends about 0.6 s loading LibTorch before it reads an argument); the others are
// handed to build/libexec/cmhbench by exec (same process, same arguments).
#include "cli/dispatch.h"

int main(int argc, char** argv) {
  return cmh::cli::cli_main(argc, argv, cmh::cli::torch_free_commands(), /*hand_over=*/true);
}
