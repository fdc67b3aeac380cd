// `cmhbench methods [NAME] [--markdown]`: the registry, with every parameter and its default.
#include <cstdio>
#include <iostream>

#include "cli/options.h"
#include "method.h"

namespace cmh::cli {

int methods_command(const Args& args, const Registry& r) {
  po::options_description opt("options");
  std::string name;
  opt.add_options()("name", po::value(&name), "one method")("markdown", "print the parameter table as Markdown");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  if (!parse_options("methods", "[NAME] [--markdown]", args, opt, pos, vm)) return 0;
  const bool md = vm.count("markdown") > 0;
  for (const auto& n : name.empty() ? r.names() : std::vector<std::string>{r.at(name).name}) {
    const MethodInfo& m = r.at(n);
    if (md) {
      std::printf("### %s (%s, %s)\n%s. %s\n\n| parameter | type | default | allowed | meaning |\n|---|---|---|---|---|\n",
                  m.name.c_str(), m.display.c_str(), method_kind_name(m.kind).c_str(), m.summary.c_str(),
                  m.citation.c_str());
      for (const auto& p : m.params) {
        std::string allowed = param_range_text(p);
        for (const auto& a : p.allowed) allowed += (allowed.empty() ? "" : ", ") + a;
        std::printf("| `%s` | %s | `%s` | %s | %s |\n", p.name.c_str(), param_type_name(p.type).c_str(),
                    param_value_text(p.default_value).c_str(), allowed.c_str(), p.help.c_str());
      }
      std::printf("\n");
    } else {
      std::printf("%s (%s, %s) — %s\n  %s (%s)\n", m.name.c_str(), m.display.c_str(), method_kind_name(m.kind).c_str(),
                  m.summary.c_str(), m.citation.c_str(), m.folder.c_str());
      for (const auto& p : m.params) {
        std::printf("  %-16s %-8s default %-12s %s", p.name.c_str(), param_type_name(p.type).c_str(),
                    param_value_text(p.default_value).c_str(), p.help.c_str());
        if (const std::string range = param_range_text(p); !range.empty()) std::printf(" [%s]", range.c_str());
        if (!p.allowed.empty()) {
          std::printf(" [");
          for (size_t i = 0; i < p.allowed.size(); ++i) std::printf("%s%s", i ? "|" : "", p.allowed[i].c_str());
          std::printf("]");
        }
        std::printf("\n");
      }
    }
  }
  return 0;
}

}  // namespace cmh::cli
