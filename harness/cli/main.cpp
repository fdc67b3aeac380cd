// The full `cmhbench` (build/libexec/cmhbench): every command, LibTorch linked. Users start the
// front executable (front_main.cpp), which hands run, plan, methods, slurm, weights and features to this one.
#include "cli/dispatch.h"

int main(int argc, char** argv) {
  auto runners = cmh::cli::torch_free_commands();
  runners["run"] = cmh::cli::run_command;
  runners["plan"] = cmh::cli::plan_command;
  runners["methods"] = cmh::cli::methods_command;
  runners["slurm"] = cmh::cli::slurm_command;
  runners["weights"] = cmh::cli::weights_command;
  runners["features"] = cmh::cli::features_command;
  return cmh::cli::cli_main(argc, argv, runners, /*hand_over=*/false);
}
