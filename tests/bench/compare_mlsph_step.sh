#!/usr/bin/env bash
# Runs the C++ MLSPH training step benchmark and its Python twin back to back (same libtorch,
# same machine, same thread counts) and prints ms per step with the C++/Python ratio. C++ runs
# with cmhbench's malloc settings (harness/common/allocator.h); Python runs with glibc's defaults
# and, as a second column, with the same settings applied through ctypes.
# Usage: tests/bench/compare_mlsph_step.sh BUILD_DIR   (configure with -DCMHBENCH_BENCH=ON;
# needs python3-torch: apt-get install python3-torch). Extra env is passed through, e.g.
# GLIBC_TUNABLES=glibc.malloc.hugetlb=1 to measure malloc tunables on both sides alike.
set -euo pipefail
build=${1:?usage: compare_mlsph_step.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cpp=$("$build/tests/bench/bench_mlsph_step" --benchmark_format=csv 2>/dev/null | grep '^"BM_' |
      sed -E 's/^"BM_([a-z_]+)\/([0-9]+)\/min_time:[0-9.]+\/real_time",[0-9]+,([0-9.e+]+),.*/\1 \2 \3/')
py=$(/usr/bin/python3 "$here/mlsph_step.py" 1 2)
pyt=$(/usr/bin/python3 "$here/mlsph_step.py" 1 2 --tuned-malloc)
printf '%-18s %7s %10s %10s %8s %12s %8s\n' step threads "C++ ms" "Py ms" "C++/Py" "Py-tuned ms" "C++/Pyt"
while read -r name threads ms; do
  pyms=$(awk -v n="$name" -v t="$threads" '$1 == n && $2 == t { print $3 }' <<<"$py")
  ptms=$(awk -v n="$name" -v t="$threads" '$1 == n && $2 == t { print $3 }' <<<"$pyt")
  printf '%-18s %7s %10.2f %10.2f %8.3f %12.2f %8.3f\n' "$name" "$threads" "$ms" "$pyms" \
    "$(awk -v a="$ms" -v b="$pyms" 'BEGIN { print a / b }')" "$ptms" "$(awk -v a="$ms" -v b="$ptms" 'BEGIN { print a / b }')"
done <<<"$cpp"
