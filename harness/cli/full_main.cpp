// The full executable's command table: every command, LibTorch linked, over the methods it is
// given. Users start the front executable (front_main.cpp), which hands run, plan, methods,
// slurm, weights and features to this one.
#include "cli/dispatch.h"

namespace cmh::cli {

int full_main(int argc, char** argv, const Registry& methods) {
  auto runners = torch_free_commands();
  runners["run"] = [&](const Args& a) { return run_command(a, methods); };
  runners["plan"] = [&](const Args& a) { return plan_command(a, methods); };
  runners["methods"] = [&](const Args& a) { return methods_command(a, methods); };
  runners["slurm"] = [&](const Args& a) { return slurm_command(a, methods); };
  runners["weights"] = weights_command;
  runners["features"] = features_command;
  return cli_main(argc, argv, runners, /*hand_over=*/false);
}

}  // namespace cmh::cli
