#!/usr/bin/env bash
# A full-size MIRFLICKR-25K stand-in and what each step costs on it (peak RSS, wall time):
#   1. `data synth --like` the real labels and tags of ../shared/data with synthetic 224x224
#      pictures drawn from those labels: IAll 20,015 x 224 x 224 x 3 = 3.0 GB, MAT v7.3 as DCMH ships it;
#   2. `data inspect` of experiments/datasets/mirflickr25k.toml on it: held in memory
#      (pixel_store = "memory", what every version before the pixel cache did), then with the
#      default (a set over 1 GiB goes to the pixel cache: made once, then reused);
#   3. random 128-picture batches per second, held and from the cache (bench_pixel_batches);
#   4. one MLSPH epoch on the 1,000 training items of datasets/mirflickr25k-cpu.toml (ResNet-34 at
#      64 px, then encoding all 20,015 items), held and cached;
#   5. with FEATURES=1, `cmhbench features` (CNN-F, CPU) over all 20,015 pictures (~15 min on 2 cores).
# Stand-in weights in the publishers' layouts (random values: nothing is downloaded) are written
# to WORK/weights by Debian's python3-torch/-torchvision/-scipy; with OLD_BUILD, step 2 also runs
# that build's `data inspect` (e.g. a worktree of an earlier commit).
# Usage: tests/bench/full_size_mirflickr.sh BUILD WORK [OLD_BUILD]   (needs ~10 GB free in WORK)
set -euo pipefail
build=$(realpath "${1:?usage: full_size_mirflickr.sh BUILD WORK [OLD_BUILD]}")
work=$(realpath -m "${2:?usage}")
old=${3:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared="$repo/../shared/data/mirflickr25k"
mkdir -p "$work/weights"
export PATH="/usr/bin:$PATH"  # Debian's python3 with torch for the stand-in weights

measure() {  # measure LABEL COMMAND...: one table row, the command's output in WORK/LABEL.log
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$label.log" 2>&1 || {
    echo "$label failed:"
    tail -20 "$work/$label.log"
    exit 1
  }
  read -r s kb < "$work/time"
  printf '%-34s %10s s %10d MiB\n' "$label" "$s" $((kb / 1024))
}

ln -sf "$shared/mirflickr25k-lall.mat" "$work/mirflickr25k-lall.mat"
ln -sf "$shared/mirflickr25k-yall.mat" "$work/mirflickr25k-yall.mat"
if [ ! -f "$work/mirflickr25k-iall.mat" ]; then
  measure "data synth --like (3.0 GB IAll)" "$build/cmhbench" data synth --like "$repo/experiments/datasets/mirflickr25k.toml" \
    --data-root "$shared" --image pixels --size 224 --v73 --out "$work/mirflickr25k-iall.mat.tmp"
  mv "$work/mirflickr25k-iall.mat.tmp" "$work/mirflickr25k-iall.mat"
fi
decl="$repo/experiments/datasets/mirflickr25k.toml"
held="$work/mirflickr25k-held.toml"
sed 's/^pixel_layout = "hwcn"/pixel_layout = "hwcn"\npixel_store = "memory"/' "$decl" > "$held"
sed -i "s|^data_root = .*|data_root = \"$work\"|" "$held"

# (an earlier build knows no pixel_store: it holds every set)
if [ -n "$old" ]; then measure "inspect, old build" "$old/cmhbench" data inspect "$decl" --data-root "$work"; fi
measure "inspect, held" "$build/cmhbench" data inspect "$held" --data-root "$work"
rm -rf "$work/cmhbench-cache"
measure "inspect, cache made" "$build/cmhbench" data inspect "$decl" --data-root "$work"
measure "inspect, cache reused" "$build/cmhbench" data inspect "$decl" --data-root "$work"

if [ -x "$build/tests/bench/bench_pixel_batches" ]; then
  CMH_BENCH_DECL="$held" "$build/tests/bench/bench_pixel_batches" --benchmark_filter='held|cache' \
    --benchmark_counters_tabular=true 2>&1 | grep -E "^BM_|items_per" | tee "$work/batches.log"
fi

# Stand-in publishers' files: torchvision's ResNet-34 state dict, MatConvNet's imagenet-vgg-f.mat layout.
if [ ! -f "$work/weights/resnet34-b627a593.pth" ]; then
  python3 -c "import torch, torchvision; torch.manual_seed(0); torch.save(torchvision.models.resnet34().state_dict(), '$work/weights/resnet34-b627a593.pth')"
fi
if [ ! -f "$work/weights/imagenet-vgg-f.mat" ]; then
  python3 "$repo/tests/nets/publisher_weights.py" "$work/weights" > /dev/null
  mv "$work/weights/vggf.mat" "$work/weights/imagenet-vgg-f.mat"
fi

for store in memory auto; do
  cat > "$work/epoch-$store.toml" <<TOML
name = "mlsph-epoch-$store"
bits = [64]
seeds = [1]
threads = 0
[[datasets]]
declaration = "$work/epoch-decl-$store.toml"
[[methods]]
name = "mlsph"
datasets = ["mirflickr25k-cpu"]
[methods.params]
image_net = "resnet34"
image_size = 64
pretrained = "$work/weights/resnet34-b627a593.pth"
epochs = 1
TOML
  sed "s|^data_root = .*|data_root = \"$work\"|" "$repo/experiments/datasets/mirflickr25k-cpu.toml" > "$work/epoch-decl-$store.toml"
  printf 'pixel_store = "%s"\n' "$store" >> "$work/epoch-decl-$store.toml"
  rm -rf "$work/epoch-$store.sqlite"*
  measure "MLSPH epoch (1,000 items), $store" "$build/cmhbench" run "$work/epoch-$store.toml" --db "$work/epoch-$store.sqlite"
done

if [ "${FEATURES:-0}" = 1 ]; then
  rm -f "$work/mirflickr25k-cnnf-xall.mat"
  measure "features, CNN-F, CPU" "$build/cmhbench" features "$decl" --data-root "$work" \
    --weights "$work/weights/imagenet-vgg-f.mat" --out "$work/mirflickr25k-cnnf-xall.mat"
fi
echo "IAll: $(stat -c %s "$work/mirflickr25k-iall.mat") bytes on disk; logs in $work"
