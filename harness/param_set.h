// A method's parameters declared once: each row binds a TOML key to a member of the method's
// parameter struct, whose default member initialiser is the default. The one declaration gives
// the parameter table (type, default, help, allowed values and range: what `cmhbench methods`
// prints and what experiment files are checked against) and the reader that fills the struct
// from resolved Params. The models are mlpack's PARAM_* and ann-benchmarks' per-algorithm
// config (../shared/design/STYLE.md: one parameter table per method). Torch-free.
//
//   struct CcaParams { double reg = 1e-3; std::string beyond_rank = "random"; };
//   const ParamSet<CcaParams>& cca_params() {
//     static const auto set = ParamSet<CcaParams>()
//         .add("reg", &CcaParams::reg, "ridge relative to trace/dim", at_least(0))
//         .add("beyond_rank", &CcaParams::beyond_rank, "bits beyond the rank", one_of({"random", "refuse"}));
//     return set;
//   }
//   ... m.params = cca_params().table();   ... const CcaParams p = cca_params().read(ctx.params);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "method.h"

namespace cmh {

/// What a row may say besides its key, member and help: a ParamSpec whose rules (allowed values,
/// range, existing_file, in_key) are set and whose name, type, default and help ParamSet::add
/// fills in. Combine with `|` (e.g. `at_least(0) | below(1)`).
using ParamOptions = ParamSpec;

inline ParamOptions operator|(ParamOptions a, const ParamOptions& b) {
  if (!b.allowed.empty()) a.allowed = b.allowed;
  if (b.lower) a.lower = b.lower, a.lower_open = b.lower_open;
  if (b.upper) a.upper = b.upper, a.upper_open = b.upper_open;
  a.existing_file = a.existing_file || b.existing_file;
  a.in_key = a.in_key && b.in_key;
  return a;
}

namespace param_set_detail {

inline ParamOptions bound(bool upper, double v, bool open) {
  ParamOptions o;
  (upper ? o.upper : o.lower) = v;
  (upper ? o.upper_open : o.lower_open) = open;
  return o;
}

}  // namespace param_set_detail

/// A string that must be one of `values`.
inline ParamOptions one_of(std::vector<std::string> values) {
  ParamOptions o;
  o.allowed = std::move(values);
  return o;
}
inline ParamOptions at_least(double v) { return param_set_detail::bound(false, v, false); }  ///< >= v
inline ParamOptions above(double v) { return param_set_detail::bound(false, v, true); }      ///< > v
inline ParamOptions at_most(double v) { return param_set_detail::bound(true, v, false); }    ///< <= v
inline ParamOptions below(double v) { return param_set_detail::bound(true, v, true); }       ///< < v
/// A path that must name an existing file when not empty (ParamSpec::existing_file).
inline ParamOptions existing_file() {
  ParamOptions o;
  o.existing_file = true;
  return o;
}
/// A setting that cannot change a result (ParamSpec::in_key = false).
inline ParamOptions outside_key() {
  ParamOptions o;
  o.in_key = false;
  return o;
}

namespace param_set_detail {

template <class T>
constexpr ParamType type_of() {
  if constexpr (std::is_same_v<T, bool>) return ParamType::kBool;
  else if constexpr (std::is_integral_v<T>) return ParamType::kInt;
  else if constexpr (std::is_floating_point_v<T>) return ParamType::kReal;
  else if constexpr (std::is_same_v<T, std::string>) return ParamType::kString;
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return ParamType::kStringList;
  else {
    static_assert(std::is_same_v<T, JsonText>, "a parameter member is bool, an integer, a real, a string, "
                                               "a list of strings or a JsonText table");
    return ParamType::kTable;
  }
}

template <class T>
ParamValue to_value(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v;
  else if constexpr (std::is_integral_v<T>) return static_cast<int64_t>(v);
  else if constexpr (std::is_floating_point_v<T>) return static_cast<double>(v);
  else return v;
}

template <class T>
T from_params(const Params& p, const std::string& name) {
  if constexpr (std::is_same_v<T, bool>) return p.boolean(name);
  else if constexpr (std::is_integral_v<T>) return static_cast<T>(p.integer(name));
  else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(p.real(name));
  else if constexpr (std::is_same_v<T, std::string>) return p.string(name);
  else if constexpr (std::is_same_v<T, std::vector<std::string>>) return p.strings(name);
  else return JsonText{p.table_json(name)};
}

}  // namespace param_set_detail

template <class P>
class ParamSet {
 public:
  /// One parameter: `name` in TOML, `member` in P (its initialiser in P is the default).
  /// A member of a base of P (shared rows, e.g. the deep methods') binds the same way.
  template <class T, class Owner>
  ParamSet& add(std::string name, T Owner::*member, std::string help, const ParamOptions& options = {}) {
    static_assert(std::is_base_of_v<Owner, P>, "the member must belong to the parameter struct or a base of it");
    const P defaults{};
    ParamSpec spec = options;  // the rules; the row's own fields follow
    spec.name = name;
    spec.type = param_set_detail::type_of<T>();
    spec.default_value = param_set_detail::to_value(defaults.*member);
    spec.help = std::move(help);
    table_.push_back(std::move(spec));
    readers_.push_back([name, member](const Params& p, P& out) {
      out.*member = param_set_detail::from_params<T>(p, name);
    });
    return *this;
  }

  const ParamTable& table() const { return table_; }

  /// The struct from resolved parameters (ranges and allowed values were checked when they were
  /// resolved: Params' constructor).
  P read(const Params& values) const {
    P out{};
    for (const auto& r : readers_) r(values, out);
    return out;
  }

 private:
  ParamTable table_;
  std::vector<std::function<void(const Params&, P&)>> readers_;
};

}  // namespace cmh
