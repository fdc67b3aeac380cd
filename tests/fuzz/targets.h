// The bodies of the fuzz targets, shared by the libFuzzer executables (fuzz_*.cpp, built with
// -DCMHBENCH_FUZZ=ON and clang) and by hardening_tests, which replays the committed corpora and
// every crash found (tests/fuzz/regressions/) with the ordinary build. Each returns normally on
// any input, saying whether it was accepted or refused (a cmh::InputError, the expected answer
// to bad input); anything else escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cmh {
class Registry;
}

namespace cmh::fuzz {

/// Methods with the parameter kinds real ones have, none of which trains (fuzz_registry.cpp).
const Registry& stand_in_registry();

/// How a target ended on one input: every part accepted it, or some part refused it with a
/// cmh::InputError (anything else escapes: a crash, the fuzzer's find). The replay in
/// hardening_tests requires every committed regression input to be refused.
enum class Outcome { kAccepted, kRefused };

/// Experiment text → parse_experiment → expand_cells (no dataset is loaded).
Outcome experiment_one(const uint8_t* data, size_t size);
/// Declaration text → parse_declaration_string; a declaration of files inside the scratch
/// folder (a small valid data.mat) is also loaded and split.
Outcome declaration_one(const uint8_t* data, size_t size);
/// Bytes → a .mat file → MatReader (every variable read as double, uint8 when it is uint8) and
/// load_dataset of a declaration naming LAll, YAll and XAll in it.
Outcome mat_one(const uint8_t* data, size_t size);

/// The scratch folder of this process (data.mat, d.toml), created on first use.
const std::string& scratch_dir();

}  // namespace cmh::fuzz
