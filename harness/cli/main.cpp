// `cmhbench`: one executable, one subcommand per stage of the flow.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/allocator.h"
#include "common/error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const cmh::cli::Args&);
  const char* help;
};

const Command kCommands[] = {
    {"run", cmh::cli::run_command, "run the cells of an experiment that are not done yet"},
    {"plan", cmh::cli::plan_command, "list an experiment's cells and which are done"},
    {"methods", cmh::cli::methods_command, "list methods with their parameters and defaults"},
    {"eval", cmh::cli::eval_command, "evaluate binary codes stored in a .mat file (any tool's)"},
    {"data", cmh::cli::data_command, "inspect a dataset declaration, or write a synthetic set"},
    {"report", cmh::cli::report_command, "tables, figures and an index page from a results database"},
    {"check", cmh::cli::check_command, "compare a results database with reference values (CI regressions)"},
    {"compare", cmh::cli::compare_command, "two databases, before and after a change: differences beyond seed noise"},
    {"slurm", cmh::cli::slurm_command, "write a Slurm array job running an experiment's cells as shards"},
    {"merge", cmh::cli::merge_command, "fold shard databases into one (idempotent; conflicts reported)"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: cmhbench <command> [options]   (cmhbench <command> --help)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.help);
}

}  // namespace

int main(int argc, char** argv) {
  cmh::tune_allocator();  // see common/allocator.h: training steps page-fault without it
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const cmh::cli::Args args(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const cmh::InputError& e) {
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
