// Experiment parsing with toml++ (only this file and the declaration parser include it).
#include "experiment.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/paths.h"
#include "common/json.h"
#include "data/sha256.h"

namespace cmh {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kTopKeys = {"name", "description", "bits", "seeds", "threads", "device",
                                        "data_root", "eval", "datasets", "methods"};
const std::set<std::string> kEvalKeys = {"map_at", "topn"};
const std::set<std::string> kMethodKeys = {"name", "label", "enabled", "bits", "datasets", "params"};

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& v : s) out += (out.empty() ? "" : ", ") + v;
  return out;
}

struct Parser {
  const Registry& registry;
  std::string origin;
  std::string base_dir;
  std::string data_root;

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("experiment '" + origin + "': " + what);
  }

  void check_keys(const toml::table& t, const std::set<std::string>& valid, const std::string& where) const {
    for (const auto& [k, v] : t) {
      (void)v;
      if (!valid.count(std::string(k.str())))
        fail("unknown key '" + std::string(k.str()) + "'" + (where.empty() ? "" : " in " + where) +
             "; valid keys: " + join(valid));
    }
  }

  template <class T>
  std::vector<T> int_list(const toml::node* n, const std::string& key, int64_t lo, int64_t hi) const {
    std::vector<T> out;
    const toml::array* a = n ? n->as_array() : nullptr;
    if (!a)
      fail("'" + key + "' must be a list of integers, e.g. " + key + " = " + (key == "seeds" ? "[1, 2]" : "[16, 32, 64]"));
    if (a->empty()) fail("'" + key + "' is empty; give at least one value");
    for (const auto& e : *a) {
      // value_exact: value<int64_t>() converts a float, undefined for one beyond int64 (fuzz_experiment).
      const auto v = e.value_exact<int64_t>();
      if (!v) fail("'" + key + "' must hold integers only");
      if (*v < lo || *v > hi)
        fail("'" + key + "' value " + std::to_string(*v) + " is outside " + std::to_string(lo) + ".." +
             std::to_string(hi));
      out.push_back(static_cast<T>(*v));
    }
    return out;
  }

  std::map<std::string, ParamValue> overrides(const toml::table& t, const std::string& method) const {
    std::map<std::string, ParamValue> out;
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (auto i = v.value_exact<int64_t>()) out[key] = *i;
      else if (auto d = v.value_exact<double>()) out[key] = *d;
      else if (auto b = v.value_exact<bool>()) out[key] = *b;
      else if (auto s = v.value_exact<std::string>()) out[key] = *s;
      else if (const toml::array* a = v.as_array()) {
        std::vector<std::string> list;
        for (const auto& e : *a) {
          auto s = e.value_exact<std::string>();
          if (!s) fail("method '" + method + "' parameter '" + key + "' must be a list of strings, e.g. [\"python3\", \"cca.py\"]");
          list.push_back(*s);
        }
        out[key] = std::move(list);
      } else if (const toml::table* t = v.as_table()) {
        if (!json_carries(*t))  // toml++ would write inf/nan and dates as strings ("NaN")
          fail("method '" + method + "' parameter '" + key + "' holds inf, nan or a date, which JSON cannot carry; "
               "give finite numbers, strings, booleans, lists and tables (a date as a string)");
        out[key] = JsonText{compact_json(*t)};
      } else fail("method '" + method + "' parameter '" + key + "' must be a number, string, boolean, list or table");
    }
    return out;
  }

  static std::string to_json(const toml::table& t) {
    std::ostringstream os;
    os << toml::json_formatter{t};
    return os.str();
  }

  // Whether every value under `n` has a JSON form: no inf, nan, date or time.
  static bool json_carries(const toml::node& n) {
    if (const toml::table* t = n.as_table()) {
      for (const auto& [k, v] : *t) {
        (void)k;
        if (!json_carries(v)) return false;
      }
      return true;
    }
    if (const toml::array* a = n.as_array()) {
      for (const auto& v : *a)
        if (!json_carries(v)) return false;
      return true;
    }
    if (const auto* f = n.as_floating_point()) return std::isfinite(f->get());
    return !(n.is_date() || n.is_time() || n.is_date_time());
  }

  // toml++'s JSON (keys sorted: toml::table is ordered) without the whitespace between tokens,
  // so that a table parameter reads as one line in the store.
  static std::string compact_json(const toml::table& t) {
    const std::string pretty = to_json(t);
    std::string out;
    bool in_string = false, escaped = false;
    for (char c : pretty) {
      if (in_string) {
        out += c;
        if (escaped) escaped = false;
        else if (c == '\\') escaped = true;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
        out += c;
      } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
        out += c;
      }
    }
    return out;
  }

  DatasetEntry dataset(const toml::node& n, size_t i) const {
    const toml::table* t = n.as_table();
    if (!t) fail("datasets[" + std::to_string(i) + "] must be a table");
    DatasetEntry e;
    if (auto ref = (*t)["declaration"].value<std::string>()) {
      if (t->size() != 1)
        fail("datasets[" + std::to_string(i) + "] names a declaration file; give either "
             "'declaration = \"file.toml\"' alone or an inline declaration");
      fs::path p = fs::path(*ref).is_absolute() ? fs::path(*ref) : fs::path(base_dir) / *ref;
      std::string why;
      if (!is_existing_file(p.string(), &why))
        fail("datasets[" + std::to_string(i) + "]: declaration file '" + p.string() + "' does not exist" +
             reason_suffix(why) + " (paths are relative to the experiment file)");
      e.declaration = data::parse_declaration_file(p.string(), data_root);
      try {
        e.canonical_json = to_json(toml::parse_file(p.string()));
      } catch (const toml::parse_error& err) {
        fail(std::string("datasets[") + std::to_string(i) + "]: " + std::string(err.description()));
      }
    } else {
      data::DeclarationContext ctx;
      ctx.base_dir = base_dir;
      ctx.data_root = data_root;
      ctx.origin = origin + " datasets[" + std::to_string(i) + "]";
      e.declaration = data::parse_declaration(*t, ctx);
      e.canonical_json = to_json(*t);
    }
    return e;
  }

  Experiment parse(const toml::table& root) {
    check_keys(root, kTopKeys, "");
    Experiment e;
    e.path = origin;
    auto name = root["name"].value<std::string>();
    if (!name || name->empty()) fail("missing 'name' (e.g. name = \"default\"): it names the results database");
    for (char c : *name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
        fail("'name' may hold letters, digits, '-' and '_' only (it becomes a file name)");
    e.name = *name;
    e.description = root["description"].value_or(std::string());
    if (auto dr = root["data_root"].value<std::string>(); dr && data_root.empty())
      data_root = fs::path(*dr).is_absolute() ? *dr : (fs::path(base_dir) / *dr).lexically_normal().string();
    e.bits = int_list<int>(root.get("bits"), "bits", 1, eval::PackedBits::kMaxBits);
    e.seeds = int_list<int64_t>(root.get("seeds"), "seeds", 0, (int64_t{1} << 32) - 1);
    if (root.contains("threads")) {
      auto t = root["threads"].value_exact<int64_t>();
      if (!t || *t < 0 || *t > 1024) fail("'threads' must be an integer >= 0 (0: all cores)");
      e.threads = static_cast<int>(*t);
    }
    if (root.contains("device")) {
      auto d = root["device"].value<std::string>();
      if (!d) fail("'device' must be a string: \"cpu\" or \"cuda[:N]\"");
      e.device = *d;
    }
    if (const toml::node* ev = root.get("eval")) {
      const toml::table* t = ev->as_table();
      if (!t) fail("'eval' must be a table");
      check_keys(*t, kEvalKeys, "[eval]");
      if (t->contains("map_at")) e.eval.map_at = int_list<size_t>(t->get("map_at"), "eval.map_at", 1, int64_t{1} << 40);
      if (t->contains("topn")) e.eval.topn = int_list<size_t>(t->get("topn"), "eval.topn", 1, int64_t{1} << 40);
    }

    const toml::array* ds = root["datasets"].as_array();
    if (!ds || ds->empty())
      fail("no datasets: add [[datasets]] entries (declaration = \"datasets/….toml\" or an inline declaration)");
    std::set<std::string> dataset_names;
    for (size_t i = 0; i < ds->size(); ++i) {
      e.datasets.push_back(dataset(*ds->get(i), i));
      if (!dataset_names.insert(e.datasets.back().declaration.name).second)
        fail("dataset '" + e.datasets.back().declaration.name + "' is declared twice");
    }

    const toml::array* ms = root["methods"].as_array();
    if (!ms || ms->empty()) fail("no methods: add [[methods]] entries with name = one of: " + method_names());
    std::set<std::string> labels;
    for (size_t i = 0; i < ms->size(); ++i) {
      const toml::table* t = ms->get(i)->as_table();
      if (!t) fail("methods[" + std::to_string(i) + "] must be a table");
      check_keys(*t, kMethodKeys, "methods[" + std::to_string(i) + "]");
      auto mname = (*t)["name"].value<std::string>();
      if (!mname) fail("methods[" + std::to_string(i) + "] has no 'name'; one of: " + method_names());
      if (!(*t)["enabled"].value_or(true)) continue;
      const MethodInfo& info = registry.at(*mname);
      MethodEntry m;
      m.method = info.name;
      m.info = &info;
      m.label = (*t)["label"].value_or(info.name);
      if (!labels.insert(m.label).second)
        fail("method label '" + m.label + "' appears twice; give each entry of one method its own 'label'");
      std::map<std::string, ParamValue> ov;
      if (const toml::node* p = t->get("params")) {
        if (!p->as_table()) fail("methods[" + std::to_string(i) + "].params must be a table");
        ov = overrides(*p->as_table(), info.name);
      }
      m.experiment_dir = base_dir;
      try {
        m.params = Params(info.name, info.params, ov, base_dir);
        if (info.inputs) m.inputs = info.inputs(m.params, base_dir);
      } catch (const InputError& err) {
        fail("methods[" + std::to_string(i) + "] (" + m.label + "): " + err.what());
      }
      if (const toml::node* dn = t->get("datasets")) {
        const toml::array* a = dn->as_array();
        if (!a || a->empty()) fail("methods[" + std::to_string(i) + "].datasets must be a non-empty list of dataset names");
        for (const auto& v : *a) {
          auto name = v.value<std::string>();
          if (!name || !dataset_names.count(*name))
            fail("methods[" + std::to_string(i) + "].datasets names '" + (name ? *name : std::string("?")) +
                 "', which is not a declared dataset; declared: " + join(dataset_names));
          m.datasets.push_back(*name);
        }
      }
      if (t->contains("bits")) m.bits = int_list<int>(t->get("bits"), "methods[" + std::to_string(i) + "].bits", 1, eval::PackedBits::kMaxBits);
      e.methods.push_back(std::move(m));
    }
    if (e.methods.empty()) fail("every method entry is disabled (enabled = false)");
    return e;
  }

  std::string method_names() const {
    std::string out;
    for (const auto& n : registry.names()) out += (out.empty() ? "" : ", ") + n;
    return out;
  }
};

Experiment parse_root(const Registry& registry, const toml::table& root, const std::string& origin,
                      const std::string& base_dir, const std::string& data_root) {
  Parser p{registry, origin, base_dir, data_root};
  return p.parse(root);
}

}  // namespace

Experiment load_experiment(const Registry& registry, const std::string& path, const std::string& data_root) {
  std::string why;
  if (!is_existing_file(path, &why))
    throw InputError("experiment '" + path + "': file not found" + reason_suffix(why) +
                     "; experiments live in experiments/*.toml");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    const auto& b = err.source().begin;
    throw InputError("experiment '" + path + "': TOML syntax error at line " + std::to_string(b.line) +
                     ", column " + std::to_string(b.column) + ": " + std::string(err.description()));
  }
  const std::string base = fs::path(path).parent_path().string();
  return parse_root(registry, root, path, base.empty() ? "." : base, data_root);
}

Experiment parse_experiment(const Registry& registry, const std::string& text, const std::string& origin,
                            const std::string& base_dir, const std::string& data_root) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& err) {
    const auto& b = err.source().begin;
    throw InputError("experiment '" + origin + "': TOML syntax error at line " + std::to_string(b.line) +
                     ", column " + std::to_string(b.column) + ": " + std::string(err.description()));
  }
  return parse_root(registry, root, origin, base_dir, data_root);
}

std::vector<Cell> expand_cells(const Experiment& e) {
  std::vector<Cell> cells;
  for (const auto& d : e.datasets)
    for (const auto& m : e.methods) {
      if (!m.datasets.empty() && std::find(m.datasets.begin(), m.datasets.end(), d.declaration.name) == m.datasets.end())
        continue;
      for (int bits : m.bits.empty() ? e.bits : m.bits)
        for (int64_t seed : e.seeds) {
          Cell c;
          c.index = cells.size();
          c.method = &m;
          c.dataset = &d;
          c.bits = bits;
          c.seed = seed;
          JsonWriter j;
          j.begin_object();
          j.key("bits").value(bits);
          j.key("dataset").begin_object().key("name").value(d.declaration.name);
          j.key("declaration").raw(d.canonical_json).end_object();
          j.key("eval").begin_object().key("map_at").begin_array();
          for (size_t v : e.eval.map_at) j.value(v);
          j.end_array().key("topn").begin_array();
          for (size_t v : e.eval.topn) j.value(v);
          j.end_array().end_object();
          j.key("method").begin_object().key("label").value(m.label).key("name").value(m.method);
          j.key("params").raw(m.params.key_json());
          if (!m.inputs.key_json.empty()) j.key("inputs").raw(m.inputs.key_json);  // absent: keys unchanged
          j.end_object();
          j.key("seed").value(static_cast<long long>(seed));
          j.end_object();
          c.description_json = j.str();
          c.key = data::sha256_hex(c.description_json).substr(0, 16);
          cells.push_back(std::move(c));
        }
    }
  return cells;
}

CellFilter CellFilter::parse(const std::string& only, const std::string& shard) {
  static const std::set<std::string> kKeys = {"method", "label", "dataset", "bits", "seed"};
  CellFilter f;
  std::stringstream ss(only);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || !kKeys.count(item.substr(0, eq)))
      throw InputError("--only '" + item + "': expected key=value with key one of: " + join(kKeys));
    f.only[item.substr(0, eq)].push_back(item.substr(eq + 1));
  }
  if (!shard.empty()) {
    const auto slash = shard.find('/');
    try {
      if (slash == std::string::npos) throw std::invalid_argument("no slash");
      f.shard_index = std::stoi(shard.substr(0, slash));
      f.shard_count = std::stoi(shard.substr(slash + 1));
    } catch (const std::exception&) {
      throw InputError("--shard '" + shard + "': expected i/m, e.g. 0/4");
    }
    if (f.shard_count < 1 || f.shard_index < 0 || f.shard_index >= f.shard_count)
      throw InputError("--shard '" + shard + "': need 0 <= i < m");
  }
  return f;
}

bool CellFilter::accepts(const Cell& c) const {
  if (static_cast<int>(c.index % static_cast<size_t>(shard_count)) != shard_index) return false;
  auto match = [&](const char* key, const std::string& value) {
    auto it = only.find(key);
    if (it == only.end()) return true;
    for (const auto& v : it->second)
      if (v == value) return true;
    return false;
  };
  return match("method", c.method->method) && match("label", c.method->label) &&
         match("dataset", c.dataset->declaration.name) && match("bits", std::to_string(c.bits)) &&
         match("seed", std::to_string(c.seed));
}

}  // namespace cmh
