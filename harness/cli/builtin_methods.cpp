// Where the program is assembled: one line per method, in table order. Everything else about a
// method (its name, display name, kind, citation, parameters and code) lives in its folder,
// declared once by its `*_method_info()`; a new method is its folder plus one line here.
#include "cli/builtin_methods.h"

#include "baselines/cca/cca.h"
#include "baselines/cmfh/cmfh.h"
#include "baselines/cmssh/cmssh.h"
#include "baselines/cvh/cvh.h"
#include "baselines/imh/imh.h"
#include "baselines/kshcv/kshcv.h"
#include "baselines/lssh/lssh.h"
#include "baselines/scm/scm.h"
#include "baselines/seph/seph.h"
#include "baselines/stmh/stmh.h"
#include "methods/dcmh/dcmh.h"
#include "methods/external/external.h"
#include "methods/mlsph/mlsph.h"
#include "methods/scahn/scahn.h"

namespace cmh {

Registry builtin_methods() {
  Registry r;
  r.add(baselines::cca_method_info());
  r.add(baselines::cmssh_method_info());
  r.add(baselines::scm_seq_method_info());
  r.add(baselines::scm_orth_method_info());
  r.add(baselines::stmh_method_info());
  r.add(baselines::cmfh_method_info());
  r.add(baselines::cvh_method_info());
  r.add(baselines::imh_method_info());
  r.add(baselines::lssh_method_info());
  r.add(baselines::kshcv_method_info());
  r.add(baselines::seph_rnd_method_info());
  r.add(baselines::seph_km_method_info());
  r.add(methods::dcmh_method_info());
  r.add(methods::mlsph_method_info());
  r.add(methods::scahn_method_info());
  r.add(external::external_method_info());
  return r;
}

}  // namespace cmh
