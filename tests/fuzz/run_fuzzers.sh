#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-DCMHBENCH_FUZZ=ON, ASan + UBSan) in BUILD_DIR and runs
# each for SECONDS from the committed seed corpus (tests/fuzz/corpus/<target>/; new inputs go to
# BUILD_DIR/fuzz-corpus/<target>/, never into the source tree). Exits 1 when a target crashed,
# leaked or hung; the input is saved as BUILD_DIR/fuzz-crashes/<target>-crash-… : commit it under
# tests/fuzz/regressions/<target>/ (hardening_tests replays it) and fix the bug.
#   usage: tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [TARGET…]   (CMHBENCH_JOBS: build jobs, default 2)
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [experiment|declaration|mat …]" >&2
  exit 2
fi
build=$1
seconds=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(experiment declaration mat)
src=$(cd "$(dirname "$0")/../.." && pwd)

cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMHBENCH_FUZZ=ON -DCMHBENCH_TESTS=OFF >/dev/null
cmake --build "$build" -j"${CMHBENCH_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/fuzz-crashes"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/fuzz-corpus/$t"
  echo "== fuzz_$t: ${seconds} s from tests/fuzz/corpus/$t"
  # -rss_limit_mb: a .mat header may claim any size; the loader must refuse it, not allocate it.
  # A fixed seed (CMHBENCH_FUZZ_SEED to vary it) so that a CI failure reproduces.
  if ! "$build/tests/fuzz/fuzz_$t" -seed="${CMHBENCH_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/$t-" \
      "$build/fuzz-corpus/$t" "$src/tests/fuzz/corpus/$t" 2>"$build/fuzz-$t.log"; then
    failed+=("$t")
    tail -n 60 "$build/fuzz-$t.log" >&2
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$build/fuzz-$t.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing: ${failed[*]} failed; inputs in $build/fuzz-crashes/ (commit each under tests/fuzz/regressions/<target>/ and fix)" >&2
  exit 1
fi
echo "fuzzing: ${targets[*]}: no crash in ${seconds} s each"
