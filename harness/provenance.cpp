// provenance.h implementation; versions come from the libraries' own headers or CMake.
#include "provenance.h"

#include <sqlite3.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <cstdlib>
#include <ctime>

#include "common/json.h"
#include "tensor/torch_runtime.h"

#ifndef CMH_CODE_REVISION
#define CMH_CODE_REVISION "unknown"
#endif
#ifndef CMH_MATIO_VERSION
#define CMH_MATIO_VERSION "unknown"
#endif
#ifndef CMH_TOMLPP_VERSION
#define CMH_TOMLPP_VERSION "unknown"
#endif

namespace cmh {

std::string code_revision() { return CMH_CODE_REVISION; }

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string library_versions_json() {
  JsonWriter j;
  j.begin_object();
  j.key("libtorch").value(torch_version());
  j.key("matio").value(CMH_MATIO_VERSION);
  j.key("sqlite").value(sqlite3_libversion());
  j.key("boost").value(BOOST_LIB_VERSION);
  j.key("tomlplusplus").value(CMH_TOMLPP_VERSION);
  j.key("compiler").value(__VERSION__);
  // What fixes the float order besides the thread count: LibTorch's CPU kernels and, where a
  // user chose one, OpenBLAS's kernel (check --update names them for each run it measures).
  j.key("cpu_capability").value(torch_cpu_capability());
  if (const char* coretype = std::getenv("OPENBLAS_CORETYPE")) j.key("openblas_coretype").value(coretype);
  j.end_object();
  return j.str();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace cmh
