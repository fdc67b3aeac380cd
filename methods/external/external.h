// A method run by a program outside cmhbench, in any language: the harness hands it one request
// file per cell (bits, seed, threads, device, pass-through parameters, the split's items and
// where the data are) and reads back one codes file; evaluation, store, reports, checks, Slurm
// and merging treat the cell like any other. Format reference: methods/external/README.md.
#pragma once

#include <string>
#include <vector>

#include "method.h"

namespace cmh::external {

/// The registry entry (name "external").
MethodInfo external_method_info();

/// "90s", "30m", "6h", "2d", or a plain number of seconds; "" = no limit (0). InputError otherwise.
double parse_timeout(const std::string& text);

/// SHA-256 over the given files and folders: of the sorted list of "name sha256" lines, one per
/// file (a folder's files named by their path under it; caches such as __pycache__ and *.pyc
/// left out), as 64 hex digits. A path that does not exist is an InputError naming it.
std::string hash_files(const std::vector<std::string>& paths, const std::string& base_dir);

}  // namespace cmh::external
