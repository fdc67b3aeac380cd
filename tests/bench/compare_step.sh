#!/usr/bin/env bash
# Runs a method's C++ training step benchmark (tests/bench/bench_METHOD_step.cpp) and its Python
# twin (tests/bench/METHOD_step.py) back to back (same libtorch, same machine, same thread counts)
# and prints ms per step with the C++/Python ratio. C++ runs with cmhbench's malloc settings
# (harness/common/allocator.h); Python runs with glibc's defaults and, as a second column, with the
# same settings applied through ctypes. Both sides print their nets' parameter counts first; a
# mismatch is reported (the twin is then not the same network).
# Where the twin also reports process CPU time per step (scahn), the C++ side's process CPU time is
# compared with the tuned Python's too: on a loaded machine wall time mostly measures the load.
# REPS=N repeats the whole comparison N times (C++ and Python alternating) and keeps each row's
# minimum, which is what survives other processes' bursts.
# Usage: tests/bench/compare_step.sh METHOD BUILD_DIR [THREADS...]   METHOD: mlsph | scahn | dcmh;
# THREADS default 1 2 (configure with -DCMHBENCH_BENCH=ON; needs python3-torch: apt-get install
# python3-torch). Extra env is passed through, e.g. GLIBC_TUNABLES=glibc.malloc.hugetlb=1 to
# measure malloc tunables on both sides alike.
set -euo pipefail
usage="usage: [REPS=N] compare_step.sh METHOD BUILD_DIR [THREADS...]"
method=${1:?$usage}
build=${2:?$usage}
shift 2
threads=("$@")
[[ ${#threads[@]} -gt 0 ]] || threads=(1 2)
here=$(cd "$(dirname "$0")" && pwd)
filter="BM_${method}_[a-z_]+_step/($(IFS='|'; echo "${threads[*]}"))/"
cpp="" py="" pyt="" cpp_params="" py_params=""
for ((r = 1; r <= ${REPS:-1}; ++r)); do
  cpp_out=$("$build/tests/bench/bench_${method}_step" --benchmark_format=csv --benchmark_filter="$filter" 2>/dev/null)
  # "BM_name/threads/min_time:3.000/real_time",iterations,real_time,cpu_time,ms,... -> name threads real cpu
  cpp+=$(grep '^"BM_' <<<"$cpp_out" | sed -E 's/^"BM_([a-z_]+)\/([0-9]+)\/[^"]*",[0-9]+,([0-9.e+]+),([0-9.e+]+),.*/\1 \2 \3 \4/')$'\n'
  py_out=$(/usr/bin/python3 "$here/${method}_step.py" "${threads[@]}")
  py+=$py_out$'\n'
  pyt+=$(/usr/bin/python3 "$here/${method}_step.py" "${threads[@]}" --tuned-malloc)$'\n'
  cpp_params=$(grep '^params ' <<<"$cpp_out" || true)
  py_params=$(grep '^params ' <<<"$py_out" || true)
done
if [[ -n $cpp_params || -n $py_params ]]; then
  if [[ $cpp_params == "$py_params" ]]; then
    echo "parameter counts match: $(awk '{ printf "%s%s %s", sep, $2, $3; sep = ", " }' <<<"$cpp_params")"
  else
    printf 'PARAMETER COUNTS DIFFER\nC++:\n%s\nPython:\n%s\n' "$cpp_params" "$py_params"
  fi
fi
# Minimum over the repetitions of column $3 (wall) and $4 (CPU, when there) per name and threads.
# Rows keep the order of their first appearance.
minimum() { awk '$1 !~ /^(params|allocator)/ && NF >= 3 { k = $1 " " $2; if (!(k in w)) order[++n] = k
  if (!(k in w) || $3 < w[k]) w[k] = $3; if (NF >= 4 && (!(k in c) || $4 < c[k])) c[k] = $4 }
  END { for (i = 1; i <= n; ++i) print order[i], w[order[i]], (order[i] in c ? c[order[i]] : "-") }' <<<"$1"; }
cpp=$(minimum "$cpp") py=$(minimum "$py") pyt=$(minimum "$pyt")
with_cpu=$(awk '$4 != "-" { found = 1 } END { print found ? 1 : 0 }' <<<"$pyt")
printf '%-22s %7s %10s %10s %8s %12s %8s' step threads "C++ ms" "Py ms" "C++/Py" "Py-tuned ms" "C++/Pyt"
[[ $with_cpu == 1 ]] && printf ' %11s %11s %8s' "C++ cpu ms" "Pyt cpu ms" "cpu C/P"
echo
while read -r name threads ms cpums; do
  pyms=$(awk -v n="$name" -v t="$threads" '$1 == n && $2 == t { print $3 }' <<<"$py")
  read -r ptms ptcpu < <(awk -v n="$name" -v t="$threads" '$1 == n && $2 == t { print $3, $4 }' <<<"$pyt")
  printf '%-22s %7s %10.2f %10.2f %8.3f %12.2f %8.3f' "$name" "$threads" "$ms" "$pyms" \
    "$(awk -v a="$ms" -v b="$pyms" 'BEGIN { print a / b }')" "$ptms" "$(awk -v a="$ms" -v b="$ptms" 'BEGIN { print a / b }')"
  [[ $with_cpu == 1 ]] && printf ' %11.2f %11.2f %8.3f' "$cpums" "$ptcpu" "$(awk -v a="$cpums" -v b="$ptcpu" 'BEGIN { print a / b }')"
  echo
done <<<"$cpp"
