// fork + execve rather than posix_spawn: the child needs its own process group, a parent-death
// signal and a working folder, in that order, before it runs anything. Between fork and execve
// the child (of a process with LibTorch's threads) calls only async-signal-safe functions, so
// everything it needs is built before the fork.
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/error.h"

namespace cmh {
namespace {

using Clock = std::chrono::steady_clock;

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.compare(0, name.size() + 1, name + "=") == 0) return e.substr(name.size() + 1);
  return "";
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Only the group: after the leader is reaped its pid may belong to someone else.
void kill_group(pid_t pid, int sig) { kill(-pid, sig); }

// A descriptor moved to 10 or above (close-on-exec), so that the child's dup2 onto 0–3 never
// finds its source already there (a parent started with a standard descriptor closed).
int above_standard(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  close(fd);
  return moved;
}

struct Descriptors {  // closes whatever is still open when run_process leaves
  std::vector<int*> fds;
  ~Descriptors() {
    for (int* fd : fds)
      if (*fd >= 0) close(*fd);
  }
};

// While a program runs, SIGCHLD must not be ignored (an inherited SIG_IGN makes the kernel reap
// the child itself, and waitpid would never see it end).
struct ChildSignalDefault {
  struct sigaction old {};
  bool changed = false;
  ChildSignalDefault() {
    sigaction(SIGCHLD, nullptr, &old);
    if (old.sa_handler == SIG_IGN) {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      changed = sigaction(SIGCHLD, &dfl, nullptr) == 0;
    }
  }
  ~ChildSignalDefault() {
    if (changed) sigaction(SIGCHLD, &old, nullptr);
  }
};

}  // namespace

std::string find_program(const std::string& name, const std::string& cwd, const std::string& path_var_in) {
  if (name.find('/') != std::string::npos) {
    const std::string path =  // absolute: execve runs after the chdir into cwd
        std::filesystem::absolute(name[0] == '/' || cwd.empty() ? name : cwd + "/" + name).string();
    if (!is_executable_file(path))
      throw InputError("cannot start '" + name + "': '" + path + "' is not an executable file; relative paths start in '" +
                       (cwd.empty() ? "." : cwd) + "'; check the path, or chmod +x it");
    return path;
  }
  const std::string path_var = path_var_in.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_var_in;
  std::stringstream ss(path_var);
  for (std::string dir; std::getline(ss, dir, ':');) {
    // Absolute: execve runs after the chdir into the program's folder.
    const std::string candidate = std::filesystem::absolute(std::filesystem::path(dir.empty() ? "." : dir) / name).string();
    if (is_executable_file(candidate)) return candidate;
  }
  throw InputError("cannot start '" + name + "': no executable of that name on PATH (" + path_var +
                   "); install it or give its full path as the command's first element");
}

std::string ProcessOutcome::describe() const {
  char buf[160];
  switch (end) {
    case End::kExited: std::snprintf(buf, sizeof buf, "exited with status %d", exit_code); break;
    case End::kSignalled: std::snprintf(buf, sizeof buf, "was killed by signal %d (%s)", signal, strsignal(signal)); break;
    case End::kTimedOut: std::snprintf(buf, sizeof buf, "ran past its timeout and was killed after %.0f s", seconds); break;
    case End::kStopped: std::snprintf(buf, sizeof buf, "was stopped by a stop request (SIGINT) after %.0f s", seconds); break;
  }
  return buf;
}

ProcessOutcome run_process(const ProcessSpec& spec, const std::function<void(const std::string&)>& on_line,
                           const std::function<bool()>& stop_requested) {
  if (spec.argv.empty() || spec.argv.front().empty())
    throw InputError("cannot start a program: its command is empty; give at least the program, e.g. [\"python3\", \"m.py\"]");
  if (!spec.cwd.empty()) {
    struct stat st {};
    if (stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw InputError("cannot start '" + spec.argv.front() + "': its folder '" + spec.cwd + "' does not exist");
  }
  const std::string program = find_program(spec.argv.front(), spec.cwd, env_value(spec.env, "PATH"));

  // Everything the child touches, made before the fork.
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ChildSignalDefault child_signal;
  int log_fd = -1, null_fd = -1, progress[2] = {-1, -1}, exec_error[2] = {-1, -1};
  Descriptors open_fds{{&log_fd, &null_fd, &progress[0], &progress[1], &exec_error[0], &exec_error[1]}};
  log_fd = above_standard(open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd < 0)
    throw InputError("cannot create the program's log '" + spec.log_path + "': " + std::strerror(errno) +
                     "; check that the database's folder is writable");
  null_fd = above_standard(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd < 0 || (spec.progress_fd > 0 && pipe2(progress, O_CLOEXEC) != 0) || pipe2(exec_error, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
  progress[1] = above_standard(progress[1]);
  if (spec.progress_fd > 0 && progress[1] < 0) throw std::runtime_error(std::string("cannot move a pipe: ") + std::strerror(errno));
  const int child_log = log_fd, child_null = null_fd, child_progress = progress[1], child_error = exec_error[1];
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a cmhbench killed with SIGKILL takes its program along
    if (getppid() != parent) _exit(127);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD}) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int err = 0;
    if (dup2(child_null, 0) < 0 || dup2(child_log, 1) < 0 || dup2(child_log, 2) < 0 ||
        (spec.progress_fd > 0 && dup2(child_progress, spec.progress_fd) < 0) ||
        (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0))
      err = errno;
    if (err == 0) {
      execve(program.c_str(), argv.data(), envp.data());
      err = errno;
    }
    (void)!write(child_error, &err, sizeof err);
    _exit(127);
  }
  setpgid(pid, pid);  // also here: no window in which a signal to the group misses the child
  for (int* fd : {&log_fd, &null_fd, &exec_error[1], &progress[1]})
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  int child_errno = 0;
  ssize_t got;
  while ((got = read(exec_error[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  if (got > 0) {
    waitpid(pid, nullptr, 0);
    throw InputError("cannot start '" + program + "': " + std::strerror(child_errno));
  }

  ProcessOutcome out;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  int& fd = progress[0];  // -1 once closed (Descriptors closes it otherwise)
  std::string pending;
  auto drain = [&](int timeout_ms) {
    if (fd < 0) return;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return;
    char buf[65536];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n == 0 || errno != EINTR) {
        close(fd);
        fd = -1;
      }
      return;
    }
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      on_line(line);
    }
  };
  // Whether the program has ended, without reaping it: while it is a zombie its pid (and so its
  // process group's id) cannot be reused, so the group can still be killed safely.
  auto ended = [&] {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
    return info.si_pid == pid;
  };
  bool ending = false;
  Clock::time_point kill_at;
  try {
    for (;;) {
      // The progress pipe's end (the program exited) wakes the poll; without a pipe, a 5 ms tick
      // keeps the time between the program's exit and ours small next to any program's start.
      if (fd >= 0) drain(100);
      else std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (ended()) break;
      if (!ending) {
        if (spec.timeout_seconds > 0 && elapsed() > spec.timeout_seconds) {
          out.end = ProcessOutcome::End::kTimedOut;
          kill_group(pid, SIGTERM);
          ending = true;
        } else if (stop_requested && stop_requested()) {
          out.end = ProcessOutcome::End::kStopped;
          kill_group(pid, SIGINT);
          ending = true;
        }
        if (ending)
          kill_at = Clock::now() + std::chrono::milliseconds(static_cast<long>(spec.grace_seconds * 1000));
      } else if (Clock::now() > kill_at) {
        kill_group(pid, SIGKILL);
      }
    }
    // What the program wrote before it ended (a grandchild may hold the pipe open: no waiting).
    for (int i = 0; fd >= 0 && i < 1024; ++i) drain(0);
    if (!pending.empty()) on_line(pending);
  } catch (...) {
    kill_group(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    throw;
  }
  kill_group(pid, SIGKILL);  // whatever it left running in its group, before the zombie is reaped
  int status = 0;
  const pid_t reaped = waitpid(pid, &status, 0);
  out.seconds = elapsed();
  if (out.end == ProcessOutcome::End::kExited) {
    if (reaped != pid) out.exit_code = -1;  // reaped elsewhere: no status to read, so not a success
    else if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) {
      out.end = ProcessOutcome::End::kSignalled;
      out.signal = WTERMSIG(status);
    }
  }
  return out;
}

std::string file_tail(const std::string& path, size_t max_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(size > 65536 ? size - 65536 : 0);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : "\n") + lines[i];
  return out;
}

}  // namespace cmh
