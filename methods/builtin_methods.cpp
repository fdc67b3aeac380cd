// The built-in methods, registered by explicit calls (a static library would silently drop
// self-registering objects that nothing references). Registry::builtin() lives apart, in
// builtin_registry.cpp, so a test program can define its own registry and still add these.
#include "baselines/cca/cca.h"
#include "baselines/cmfh/cmfh.h"
#include "baselines/cmssh/cmssh.h"
#include "baselines/cvh/cvh.h"
#include "baselines/dcmh/dcmh.h"
#include "baselines/imh/imh.h"
#include "baselines/kshcv/kshcv.h"
#include "baselines/lssh/lssh.h"
#include "baselines/scm/scm.h"
#include "baselines/seph/seph.h"
#include "baselines/stmh/stmh.h"
#include "method.h"
#include "methods/external/external.h"
#include "methods/mlsph/mlsph.h"
#include "methods/scahn/scahn.h"

namespace cmh {

void add_builtin_methods(Registry& r) {
  r.add(baselines::cca_method_info());
  r.add(baselines::cmfh_method_info());
  r.add(baselines::cmssh_method_info());
  r.add(baselines::cvh_method_info());
  r.add(baselines::dcmh_method_info());
  r.add(baselines::imh_method_info());
  r.add(baselines::kshcv_method_info());
  r.add(baselines::lssh_method_info());
  r.add(baselines::scm_seq_method_info());
  r.add(baselines::scm_orth_method_info());
  r.add(baselines::seph_rnd_method_info());
  r.add(baselines::seph_km_method_info());
  r.add(baselines::stmh_method_info());
  r.add(external::external_method_info());
  r.add(methods::mlsph_method_info());
  r.add(methods::scahn_method_info());
}

}  // namespace cmh
