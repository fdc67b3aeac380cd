// glibc malloc settings for training: LibTorch allocates and frees tensors of tens to hundreds of
// MB every step (im2col buffers, weight gradients). By default glibc serves each through a fresh
// mmap and returns it at free, so every step page-faults its buffers in again; measured on the
// MLSPH text step (tests/bench/compare_mlsph_step.sh) that is ~85% of the step's time.
#pragma once

namespace cmh {

/// Keeps freed memory in the heap for reuse (no mmap for large blocks, no trimming). Off when the
/// environment has CMHBENCH_MALLOC=default. Returns whether the settings were applied.
bool tune_allocator();

}  // namespace cmh
