// Params resolution and the registry.
#include "method.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "common/json.h"
#include "common/paths.h"

namespace cmh {

std::string param_type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt: return "integer";
    case ParamType::kReal: return "real";
    case ParamType::kString: return "string";
    case ParamType::kBool: return "boolean";
    case ParamType::kStringList: return "list of strings";
    case ParamType::kTable: return "table";
  }
  return "?";
}

std::string param_value_text(const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    std::ostringstream os;
    os << *d;
    return os.str();
  }
  if (auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
  if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
    std::string out = "[";
    for (const auto& e : *l) out += (out.size() > 1 ? ", \"" : "\"") + e + "\"";
    return out + "]";
  }
  if (auto* t = std::get_if<JsonText>(&v)) return t->json;
  return std::get<bool>(v) ? "true" : "false";
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool fits(ParamType t, const ParamValue& v) {
  switch (t) {
    case ParamType::kInt: return std::holds_alternative<int64_t>(v);
    case ParamType::kReal: return std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v);
    case ParamType::kString: return std::holds_alternative<std::string>(v);
    case ParamType::kBool: return std::holds_alternative<bool>(v);
    case ParamType::kStringList: return std::holds_alternative<std::vector<std::string>>(v);
    case ParamType::kTable: return std::holds_alternative<JsonText>(v);
  }
  return false;
}

}  // namespace

std::string param_range_text(const ParamSpec& spec) {
  auto num = [](double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  std::string out;
  if (spec.lower) out = (spec.lower_open ? "> " : ">= ") + num(*spec.lower);
  if (spec.upper) out += (out.empty() ? "" : " and ") + std::string(spec.upper_open ? "< " : "<= ") + num(*spec.upper);
  return out;
}

std::optional<std::string> out_of_range(const ParamSpec& spec, const ParamValue& v) {
  double x = 0;
  if (auto* i = std::get_if<int64_t>(&v)) x = static_cast<double>(*i);
  else if (auto* d = std::get_if<double>(&v)) x = *d;
  else return std::nullopt;
  const bool low = spec.lower && (spec.lower_open ? !(x > *spec.lower) : !(x >= *spec.lower));
  const bool high = spec.upper && (spec.upper_open ? !(x < *spec.upper) : !(x <= *spec.upper));
  if (low || high) return "it must be " + param_range_text(spec);
  return std::nullopt;
}

DatabaseCodes encode_database_codes(Method& method, const data::Dataset& dataset, const std::vector<int64_t>& items) {
  if (auto both = method.encode_database(dataset, items)) return {*both, *both};
  return {method.encode_image(dataset, items), method.encode_text(dataset, items)};
}

Params::Params(const std::string& method, const ParamTable& table,
               const std::map<std::string, ParamValue>& overrides, const std::string& base_dir)
    : method_(method) {
  for (const auto& spec : table) {
    values_[spec.name] = spec.default_value;
    if (!spec.in_key) not_in_key_.push_back(spec.name);
  }
  for (const auto& [name, value] : overrides) {
    const ParamSpec* spec = nullptr;
    for (const auto& s : table)
      if (s.name == name) spec = &s;
    if (!spec) {
      std::vector<std::string> names;
      for (const auto& s : table) names.push_back(s.name);
      throw InputError("method '" + method + "' has no parameter '" + name + "'; its parameters are: " +
                       (names.empty() ? "(none)" : join(names)) + " (cmhbench methods " + method + ")");
    }
    if (!fits(spec->type, value))
      throw InputError("method '" + method + "' parameter '" + name + "' must be " +
                       param_type_name(spec->type) + ", got " + param_value_text(value));
    ParamValue v = value;
    if (spec->type == ParamType::kReal)
      if (auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v); d && !std::isfinite(*d))
      throw InputError("method '" + method + "' parameter '" + name + "' is not finite; give a finite number");
    if (spec->type == ParamType::kString && !spec->allowed.empty()) {
      const auto& s = std::get<std::string>(v);
      bool ok = false;
      for (const auto& a : spec->allowed) ok = ok || a == s;
      if (!ok)
        throw InputError("method '" + method + "' parameter '" + name + "' = \"" + s +
                         "\" is not valid; choose one of: " + join(spec->allowed));
    }
    if (auto why = out_of_range(*spec, v))
      throw InputError("method '" + method + "' parameter '" + name + "' = " + param_value_text(v) + " is out of range: " +
                       *why + " (cmhbench methods " + method + ")");
    if (spec->existing_file) {
      const auto& path = std::get<std::string>(v);
      const std::string where = resolve_from(path, base_dir);
      std::string why;
      if (!path.empty() && !is_existing_file(where, &why))
        throw InputError("method '" + method + "' parameter '" + name + "' names the file '" + path +
                         "', which does not exist" + (where != path ? " (looked for as '" + where + "')" : "") +
                         reason_suffix(why) + "; relative paths are taken from the experiment file's folder. "
                         "Fix the path or set " + name + " = \"\" to go without it");
    }
    values_[name] = v;
  }
}

const ParamValue& Params::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw std::logic_error("Params: method '" + method_ + "' reads undeclared parameter '" + name + "'");
  return it->second;
}

int64_t Params::integer(const std::string& name) const { return std::get<int64_t>(get(name)); }
double Params::real(const std::string& name) const {
  const ParamValue& v = get(name);
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::get<double>(v);
}
const std::string& Params::string(const std::string& name) const { return std::get<std::string>(get(name)); }
bool Params::boolean(const std::string& name) const { return std::get<bool>(get(name)); }
const std::vector<std::string>& Params::strings(const std::string& name) const {
  return std::get<std::vector<std::string>>(get(name));
}
const std::string& Params::table_json(const std::string& name) const { return std::get<JsonText>(get(name)).json; }

std::string Params::to_json() const { return json(false); }
std::string Params::key_json() const { return json(true); }

std::string Params::json(bool key_only) const {
  JsonWriter j;
  j.begin_object();
  for (const auto& [k, v] : values_) {
    if (key_only && std::find(not_in_key_.begin(), not_in_key_.end(), k) != not_in_key_.end()) continue;
    j.key(k);
    if (auto* i = std::get_if<int64_t>(&v)) j.value(static_cast<long long>(*i));
    else if (auto* d = std::get_if<double>(&v)) j.value(*d);
    else if (auto* s = std::get_if<std::string>(&v)) j.value(*s);
    else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
      j.begin_array();
      for (const auto& e : *l) j.value(e);
      j.end_array();
    } else if (auto* t = std::get_if<JsonText>(&v)) j.raw(t->json);
    else j.value(std::get<bool>(v));
  }
  j.end_object();
  return j.str();
}

std::string method_kind_name(MethodKind k) {
  switch (k) {
    case MethodKind::kShallow: return "shallow";
    case MethodKind::kDeep: return "deep";
    case MethodKind::kExternal: return "external";
  }
  return "?";
}

void Registry::add(MethodInfo info) {
  if (find(info.name)) throw std::logic_error("Registry: method '" + info.name + "' is added twice");
  if (info.display.empty()) info.display = info.name;
  info.rank = static_cast<int>(methods_.size());
  methods_.push_back(std::move(info));
}

void Registry::replace(MethodInfo info) {
  for (auto& m : methods_)
    if (m.name == info.name) {
      info.rank = m.rank;
      if (info.display.empty()) info.display = info.name;
      m = std::move(info);
      return;
    }
  throw std::logic_error("Registry: no method '" + info.name + "' to replace");
}

const MethodInfo* Registry::find(const std::string& name) const {
  for (const auto& m : methods_)
    if (m.name == name) return &m;
  return nullptr;
}

const MethodInfo& Registry::at(const std::string& name) const {
  if (const MethodInfo* m = find(name)) return *m;
  throw InputError("unknown method '" + name + "'; registered methods: " + join(names()) +
                   " (cmhbench methods)");
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& m : methods_) out.push_back(m.name);
  return out;
}

}  // namespace cmh
