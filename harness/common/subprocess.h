// Starting a program from its argv (never through a shell) in its own process group, with a
// given environment, its output in a log file and a line channel for progress; waiting for it
// under a timeout and a stop request. POSIX (Linux); torch-free.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cmh {

struct ProcessSpec {
  std::vector<std::string> argv;  ///< argv[0] is looked up on the environment's PATH unless it holds a '/'
  std::string cwd;                ///< where it starts ("" = here)
  std::vector<std::string> env;   ///< "NAME=value" entries: the whole environment it gets
  std::string log_path;           ///< stdout and stderr, appended; stdin is /dev/null
  /// The child's descriptor number of the progress channel (a pipe; 0 = none). Each complete
  /// line written there reaches on_line.
  int progress_fd = 0;
  double timeout_seconds = 0;     ///< 0 = no limit
  /// After SIGINT (a stop request) or SIGTERM (the timeout) to the process group, how long the
  /// program has to end before SIGKILL.
  double grace_seconds = 10;
};

struct ProcessOutcome {
  enum class End { kExited, kSignalled, kTimedOut, kStopped };
  End end = End::kExited;
  int exit_code = 0;  ///< kExited
  int signal = 0;     ///< kSignalled: the signal that ended it
  double seconds = 0; ///< start to end, wall clock
  std::string describe() const;  ///< "exited with status 3", "killed by signal 11 (Segmentation fault)", …
};

/// Runs the program to its end. A program that cannot be started (not found, not executable, a
/// missing cwd) is a cmh::InputError naming it and the fix. On a timeout or a stop request the
/// whole process group gets SIGTERM/SIGINT, then SIGKILL after the grace time; when the program
/// ends, anything left in its group is killed, so no grandchild outlives the cell.
ProcessOutcome run_process(const ProcessSpec& spec, const std::function<void(const std::string&)>& on_line,
                           const std::function<bool()>& stop_requested);

/// The file execve would run for `program`: itself when it holds a '/' (relative to `cwd`), else
/// the first executable of that name on `path_var` (":"-separated). InputError naming the
/// program and the fix when there is none.
std::string find_program(const std::string& program, const std::string& cwd, const std::string& path_var);

/// The last `max_lines` lines of a text file (at most the last 64 KiB), for error messages.
std::string file_tail(const std::string& path, size_t max_lines);

}  // namespace cmh
