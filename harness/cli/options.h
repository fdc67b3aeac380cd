// Boost.Program_options glue shared by the subcommands: parse errors become cmh::InputError.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "cli/commands.h"

namespace cmh::cli {

namespace po = boost::program_options;

/// Parses `args` for subcommand `command`; returns false (after printing help) on --help.
bool parse_options(const std::string& command, const std::string& synopsis, const Args& args,
                   po::options_description& options, const po::positional_options_description& positional,
                   po::variables_map& vm);

}  // namespace cmh::cli
