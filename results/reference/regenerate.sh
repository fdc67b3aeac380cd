#!/usr/bin/env bash
# Rewrites a check reference from runs of its experiment under several float orders, so that its
# bands are measured, not typed: every run is the same grid, only what fixes the float order
# differs (LibTorch's thread count, its CPU kernels, OpenBLAS's kernel). `cmhbench check --update`
# reads all of them and sets each row's band from the spread across them and across the seeds.
#
#   results/reference/regenerate.sh EXPERIMENT.toml REFERENCE.csv [BUILD_DIR]
#   e.g. results/reference/regenerate.sh experiments/ci.toml results/reference/ci.csv build
#
# The databases stay in $CMHBENCH_REGEN_DIR (default: a fresh temporary folder) for inspection,
# e.g. with `cmhbench compare`. Commit the reference with the change that moved it.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 EXPERIMENT.toml REFERENCE.csv [BUILD_DIR]" >&2
  exit 2
fi
experiment=$1
reference=$2
exe=${3:-build}/cmhbench
[ -x "$exe" ] || { echo "$0: no $exe; build first (cmake --build ${3:-build})" >&2; exit 2; }
out=${CMHBENCH_REGEN_DIR:-$(mktemp -d)}
mkdir -p "$out"

# name  threads  environment. LibTorch's kernels: the native ones (the best this LibTorch has for
# the CPU; Debian's 1.13 stops at avx2) and the portable default ones; OpenBLAS: the kernel it
# picks, and the Haswell one an AVX2-only machine gets (only where nobody set OPENBLAS_CORETYPE:
# on some processors the environment sets it so that OpenBLAS computes right).
orders=("native-t2 2" "native-t1 1" "default-t2 2 ATEN_CPU_CAPABILITY=default" "default-t1 1 ATEN_CPU_CAPABILITY=default")
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  orders+=("blas-haswell-t2 2 OPENBLAS_CORETYPE=Haswell" "blas-haswell-t1 1 OPENBLAS_CORETYPE=Haswell")
fi

dbs=()
i=0
while [ "$i" -lt "${#orders[@]}" ]; do  # not `for`: native-t2 may add orders
  read -r name threads env <<<"${orders[$i]}"
  i=$((i + 1))
  db="$out/$name.sqlite"
  rm -rf "$db" "$db"-* "$db.ckpt"
  echo "== $name: threads $threads ${env:-(native kernels)}"
  start=$(date +%s)
  env ${env:-} "$exe" run "$experiment" --db "$db" --threads "$threads" >"$out/$name.log" 2>&1 ||
    { tail -n 20 "$out/$name.log" >&2; exit 1; }
  echo "   $(tail -n 1 "$out/$name.log") in $(( $(date +%s) - start )) s"
  dbs+=("$db")
  # Where the native kernels are wider than avx2 (an AVX-512 LibTorch), avx2 is another order too.
  if [ "$name" = native-t2 ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null &&
     [ "$(sqlite3 "$db" "select json_extract(library_versions_json, '$.cpu_capability') from runs limit 1")" != avx2 ]; then
    orders+=("avx2-t2 2 ATEN_CPU_CAPABILITY=avx2" "avx2-t1 1 ATEN_CPU_CAPABILITY=avx2")
  fi
done
"$exe" check "${dbs[@]}" --against "$reference" --update
echo "databases kept in $out"
