#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-DCMHBENCH_FUZZ=ON, ASan + UBSan) in BUILD_DIR and runs
# each from the committed seed corpus and regression inputs (tests/fuzz/corpus/<target>/,
# tests/fuzz/regressions/<target>/). Exits 1 when a target crashed, leaked or hung; the input is
# saved as BUILD_DIR/fuzz-crashes/<target>-crash-… : commit it under tests/fuzz/regressions/<target>/
# (hardening_tests replays it) and fix the bug.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR --runs N [TARGET…]     what CI runs: N executions per target
#       from a fresh corpus and a fixed seed, so the same commit gets the same verdict on any machine
#       (a time budget would explore more on a faster one);
#   tests/fuzz/run_fuzzers.sh BUILD_DIR --seconds S [TARGET…]  exploration: S seconds per target,
#       keeping what it learns in BUILD_DIR/fuzz-corpus/<target>/ across runs; a find becomes a
#       committed regression input.
# CMHBENCH_JOBS: build jobs (default 2); CMHBENCH_FUZZ_SEED: the libFuzzer seed (default 1).
set -euo pipefail
usage() {
  echo "usage: $0 BUILD_DIR --runs N | --seconds S [experiment|declaration|mat …]" >&2
  exit 2
}
[ $# -ge 3 ] || usage
build=$1
case "$2" in
  --runs) budget=(-runs="$3"); what="$3 executions"; fresh=1 ;;
  --seconds) budget=(-max_total_time="$3"); what="$3 s"; fresh=0 ;;
  *) usage ;;
esac
[[ "$3" =~ ^[0-9]+$ ]] || usage
shift 3
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(experiment declaration mat)
src=$(cd "$(dirname "$0")/../.." && pwd)

cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMHBENCH_FUZZ=ON -DCMHBENCH_TESTS=OFF >/dev/null
cmake --build "$build" -j"${CMHBENCH_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/fuzz-crashes"
failed=()
for t in "${targets[@]}"; do
  # A fixed budget starts from the committed inputs alone: what an earlier run added would change
  # what this one explores.
  [ "$fresh" = 1 ] && rm -rf "$build/fuzz-corpus/$t"
  mkdir -p "$build/fuzz-corpus/$t"
  regressions=()
  [ -d "$src/tests/fuzz/regressions/$t" ] && regressions=("$src/tests/fuzz/regressions/$t")
  echo "== fuzz_$t: $what from tests/fuzz/corpus/$t${regressions:+ and tests/fuzz/regressions/$t}"
  # -rss_limit_mb: a .mat header may claim any size; the loader must refuse it, not allocate it.
  # A fixed seed (CMHBENCH_FUZZ_SEED to vary it) so that a CI failure reproduces.
  if ! "$build/tests/fuzz/fuzz_$t" -seed="${CMHBENCH_FUZZ_SEED:-1}" "${budget[@]}" -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz-crashes/$t-" \
      "$build/fuzz-corpus/$t" "$src/tests/fuzz/corpus/$t" "${regressions[@]}" 2>"$build/fuzz-$t.log"; then
    failed+=("$t")
    tail -n 60 "$build/fuzz-$t.log" >&2
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$build/fuzz-$t.log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing: ${failed[*]} failed; inputs in $build/fuzz-crashes/ (commit each under tests/fuzz/regressions/<target>/ and fix)" >&2
  exit 1
fi
echo "fuzzing: ${targets[*]}: no crash in $what each"
