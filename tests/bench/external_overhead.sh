#!/usr/bin/env bash
# What the harness adds to an external cell, against the cell's own time, measured in one run:
# the cells of experiments/external-example.toml (NumPy CCA, PyTorch example; default synthetic
# set, 5,000 items) run into a fresh database; for each, the harness's share is the cell's
# training time (as the runner measured it) minus the program's own wall time (start to exit, as
# run_process measured it), and is split into the hand-over (data file, request) and reading the
# codes. The program's time includes its interpreter's start and imports (its own cost, printed
# beside it: `python3 -c 'import numpy, scipy.io'`, and torch).
#
# usage: tests/bench/external_overhead.sh [BUILD_DIR]   (needs python3 with numpy, scipy, torch)
set -euo pipefail
cd "$(dirname "$0")/../.."
exe=${1:-build}/cmhbench
db=$(mktemp -d)/external-overhead.sqlite
"$exe" run experiments/external-example.toml --db "$db" --only method=external >/dev/null 2>&1
echo "cell                       bits  cell s  program s  harness s  (hand-over s, codes s)  harness/cell"
sqlite3 -separator ' ' "$db" "
  select method, bits, train_s,
         json_extract(library_versions_json, '$.external_program.seconds.program'),
         json_extract(library_versions_json, '$.external_program.seconds.hand_over'),
         json_extract(library_versions_json, '$.external_program.seconds.read_codes')
  from runs where status = 'done' order by method, bits" |
while read -r m b cell prog hand codes; do
  awk -v m="$m" -v b="$b" -v c="$cell" -v p="$prog" -v h="$hand" -v r="$codes" \
    'BEGIN { printf "%-26s %4d  %6.2f  %9.2f  %9.3f  (%.3f, %.4f)  %11.1f%%\n", m, b, c, p, c - p, h, r, 100 * (c - p) / c }'
done
start=$(date +%s.%N)
python3 -c 'import numpy, scipy.io'
echo "python3 start with numpy + scipy.io: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s (the program's own)"
start=$(date +%s.%N)
python3 -c 'import numpy, scipy.io, torch'
echo "python3 start with torch as well:    $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s (the program's own)"
rm -rf "$(dirname "$db")"
