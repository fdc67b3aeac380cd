// Command dispatch shared by the front executable (front_main.cpp) and the full one (main.cpp).
#include "cli/dispatch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>

#include "common/allocator.h"
#include "common/error.h"

namespace cmh::cli {
namespace {

struct CommandInfo {
  const char* name;
  const char* help;
};

// Every command, in the order `cmhbench --help` lists them.
const CommandInfo kCommands[] = {
    {"run", "run the cells of an experiment that are not done yet"},
    {"plan", "list an experiment's cells, which are done, and the programs it starts"},
    {"methods", "list methods with their parameters and defaults"},
    {"eval", "evaluate binary codes stored in a .mat file (any tool's)"},
    {"data", "inspect a dataset declaration, or write a synthetic set"},
    {"report", "tables, figures and an index page from a results database"},
    {"check", "compare a results database with reference values (CI regressions)"},
    {"compare", "two databases, before and after a change: differences beyond seed noise"},
    {"slurm", "write a Slurm array job running an experiment's cells as shards"},
    {"merge", "fold shard databases into one (idempotent; conflicts reported)"},
    {"weights", "import published ImageNet weights (torchvision .pth, MatConvNet .mat)"},
    {"features", "CNN-F fc7 (or ResNet) features of a dataset's pictures, as XAll"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: cmhbench <command> [options]   (cmhbench <command> --help)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.help);
}

// The full executable: libexec/cmhbench beside this one (its name stays "cmhbench" in ps and
// /proc/PID/comm, so nothing that looks for cmhbench processes sees a difference).
int hand_over(char** argv) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path full = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "libexec" / "cmhbench";
  execv(full.c_str(), argv);
  std::fprintf(stderr, "cmhbench %s: cannot start the full executable '%s' (%s); build it with cmake --build (target cmhbench)\n",
               argv[1], full.c_str(), std::strerror(errno));
  return 2;
}

}  // namespace

int cli_main(int argc, char** argv, const std::map<std::string, Runner>& runners, bool may_hand_over) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    auto it = runners.find(name);
    if (it == runners.end()) {
      if (may_hand_over) return hand_over(argv);
      std::fprintf(stderr, "cmhbench: command '%s' is not part of this executable\n", c.name);
      return 2;
    }
    tune_allocator();  // see common/allocator.h: training steps page-fault without it
    try {
      return it->second(Args(argv + 2, argv + argc));
    } catch (const InputError& e) {
      std::fprintf(stderr, "cmhbench %s: error: %s\n", c.name, e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cmhbench %s: failed: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "cmhbench: unknown command '%s'\n", name.c_str());
  usage(stderr);
  return 2;
}

std::map<std::string, Runner> torch_free_commands() {
  return {{"eval", eval_command},       {"data", data_command},       {"report", report_command},
          {"check", check_command},     {"compare", compare_command}, {"merge", merge_command}};
}

}  // namespace cmh::cli
