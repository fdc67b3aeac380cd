// A cell's training log beside its checkpoint (<db>.ckpt/<key>/epochs.tsv), so that a resumed
// cell stores the epochs trained before the interruption too, not only those after it.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace cmh {

/// The log at `path`, or nothing when there is none. Lines: epoch, term, value (%.17g), tab-separated.
std::vector<store::EpochValue> read_epoch_log(const std::string& path);

/// Writes `values` to `path` atomically (a temporary file renamed over it).
void write_epoch_log(const std::string& path, const std::vector<store::EpochValue>& values);

/// Appends one epoch's values to `log`, first dropping what the log holds for this epoch and
/// later ones: a process killed after logging epoch e but before saving its checkpoint trains
/// epoch e again on resume.
void record_epoch(std::vector<store::EpochValue>& log, int epoch, const std::vector<std::pair<std::string, double>>& values);

}  // namespace cmh
