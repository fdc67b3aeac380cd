// Runs the cells of an experiment end to end: load (cached per dataset), split, train, encode,
// evaluate all four directions, store. Torch-free header.
#pragma once

#include <string>

#include "experiment.h"

namespace cmh {

struct RunOptions {
  std::string db_path;  ///< default results/<experiment>.sqlite
  CellFilter filter;
  bool force = false;   ///< re-run cells already done
  int threads = -1;     ///< overrides the experiment's thread count when >= 0
};

struct RunSummary {
  size_t selected = 0, already_done = 0, ran = 0, failed = 0;
  bool interrupted = false;
};

/// Datasets are loaded and validated before the store is opened, so bad input leaves nothing
/// behind. A cell that fails is stored as failed with its error; the others still run.
RunSummary run_experiment(const Experiment& experiment, const RunOptions& options);

/// Asks a running run_experiment to stop after the current cell (SIGINT handler).
void request_stop();

}  // namespace cmh
