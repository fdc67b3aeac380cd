// Error types shared by every part of cmhbench; torch-free.
#pragma once

#include <stdexcept>
#include <string>

namespace cmh {

/// Bad input from the user (file, variable, parameter, experiment): the message names the input
/// and the fix. The command line turns it into one line on stderr and exit status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The user asked to stop (SIGINT/SIGTERM); the current cell's last checkpoint is on disk and a
/// re-run resumes from it.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace cmh
