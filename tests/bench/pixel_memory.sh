#!/usr/bin/env bash
# Peak resident memory and wall time of writing and loading a pixel set, for two builds side by
# side (e.g. before and after a change): `data synth --image pixels --size 224 --v73` (IAll as
# DCMH stores it, h x w x c x n) and `data inspect` of a declaration of it, which loads the set.
# Usage: tests/bench/pixel_memory.sh N WORKDIR BUILD...   (N items; 20015 is MIRFLICKR's full size)
set -euo pipefail
n=${1:?usage: pixel_memory.sh N WORKDIR BUILD...}
work=${2:?usage}
shift 2
mkdir -p "$work"
cat > "$work/px.toml" <<TOML
name = "synthetic-pixels-bench"
[protocol]
seed = 1
query = 100
train = 500
[labels]
file = "px.mat"
variable = "LAll"
[text]
file = "px.mat"
variable = "YAll"
[image]
file = "px.mat"
variable = "IAll"
kind = "pixels"
pixel_layout = "hwcn"
TOML
printf '%-40s %-8s %10s %12s\n' build step seconds "peak MiB"
for b in "$@"; do
  rm -f "$work/px.mat"
  /usr/bin/time -f "%e %M" -o "$work/t" "$b/cmhbench" data synth --out "$work/px.mat" --n "$n" --image pixels --size 224 --v73 > /dev/null
  read -r s kb < "$work/t"
  printf '%-40s %-8s %10s %12d\n' "$b" synth "$s" $((kb / 1024))
  /usr/bin/time -f "%e %M" -o "$work/t" "$b/cmhbench" data inspect "$work/px.toml" > /dev/null
  read -r s kb < "$work/t"
  printf '%-40s %-8s %10s %12d\n' "$b" inspect "$s" $((kb / 1024))
done
echo "IAll bytes: $((n * 224 * 224 * 3)) ($((n * 224 * 224 * 3 / 1048576)) MiB)"
