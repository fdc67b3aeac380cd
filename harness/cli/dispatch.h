// The command line of both executables: `cmhbench`, which runs the commands that need no
// LibTorch itself (eval, data, report, check, compare, merge) and so starts in milliseconds, and
// the full one it hands the others to (run, plan, methods, slurm) by exec, same process, same
// arguments: build/libexec/cmhbench. Torch-free.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cli/commands.h"

namespace cmh::cli {

using Runner = std::function<int(const Args&)>;

/// main() of an executable: `runners` holds the commands it runs itself; any other known command
/// is handed to the full executable (when `hand_over` is true) or is an error.
int cli_main(int argc, char** argv, const std::map<std::string, Runner>& runners, bool hand_over);

/// The commands that need no LibTorch, as the front executable runs them.
std::map<std::string, Runner> torch_free_commands();

/// main() of a full executable (every command, LibTorch linked) whose methods are `methods`:
/// build/libexec/cmhbench passes the built-in ones (cli/builtin_methods.h); a test build
/// passes its own (tests/check: methods with injected defects).
int full_main(int argc, char** argv, const Registry& methods);

}  // namespace cmh::cli
