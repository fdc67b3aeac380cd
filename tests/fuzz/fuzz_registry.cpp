// The method registry of the fuzz targets and their replay in hardening_tests: the experiment
// parser asks the registry for names and parameter tables, and the real one
// (methods/builtin_methods.cpp) links LibTorch. These entries have the parameter kinds real
// methods have (real, integer, boolean, string with allowed values); nothing is ever trained.
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

const Registry& Registry::builtin() {
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
    return r;
  }();
  return registry;
}

}  // namespace cmh
