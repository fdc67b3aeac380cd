// The subcommands of `cmhbench`; each takes the arguments after its name and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace cmh::cli {

using Args = std::vector<std::string>;

int eval_command(const Args& args);  ///< cmhbench eval FILE.mat …
int data_command(const Args& args);  ///< cmhbench data inspect|synth …
int run_command(const Args& args);   ///< cmhbench run EXPERIMENT.toml …
int plan_command(const Args& args);  ///< cmhbench plan EXPERIMENT.toml …
int methods_command(const Args& args);  ///< cmhbench methods [NAME]

}  // namespace cmh::cli
