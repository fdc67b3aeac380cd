// The method registry of the fuzz targets and their replay in hardening_tests: the experiment
// parser asks the registry it is given for names and parameter tables, and the program's
// (harness/cli/builtin_methods.cpp) links LibTorch. These entries have the parameter kinds real
// methods have (real, integer, boolean, string with allowed values, list of strings, table);
// nothing is ever trained.
#include "method.h"

namespace cmh {
namespace {

ParamSpec spec(const std::string& name, ParamType type, ParamValue value, std::vector<std::string> allowed = {}) {
  ParamSpec s;
  s.name = name;
  s.type = type;
  s.default_value = std::move(value);
  s.help = name;
  s.allowed = std::move(allowed);
  return s;
}

}  // namespace

namespace fuzz {

const Registry& stand_in_registry() {
  static const Registry registry = [] {
    Registry r;
    MethodInfo cca;
    cca.name = "cca";
    cca.summary = "stand-in with CCA's parameter table";
    cca.params = {spec("reg", ParamType::kReal, 1e-3),
                  spec("beyond_rank", ParamType::kString, std::string("random"), {"random", "refuse"})};
    cca.create = [] { return std::unique_ptr<Method>(); };
    r.add(cca);
    MethodInfo deep;
    deep.name = "mlsph";
    deep.summary = "stand-in with a deep method's kinds of parameters";
    deep.params = {spec("epochs", ParamType::kInt, int64_t{100}), spec("lr", ParamType::kReal, 1e-4),
                   spec("pretrained", ParamType::kBool, false),
                   spec("selection", ParamType::kString, std::string("final"), {"final", "best_query", "best_val"})};
    deep.create = [] { return std::unique_ptr<Method>(); };
    r.add(deep);
    // An external program's kinds (a list of strings, a table, a setting outside the key), without
    // its entry check: the fuzzer must not start programs or hash files.
    MethodInfo ext;
    ext.name = "external";
    ext.summary = "stand-in with an external method's kinds of parameters";
    ext.params = {spec("command", ParamType::kStringList, std::vector<std::string>{}),
                  spec("hyper", ParamType::kTable, JsonText{"{}"}), spec("timeout", ParamType::kString, std::string(""))};
    ext.params.back().in_key = false;
    ext.create = [] { return std::unique_ptr<Method>(); };
    r.add(ext);
    return r;
  }();
  return registry;
}

}  // namespace fuzz
}  // namespace cmh
