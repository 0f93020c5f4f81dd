#!/usr/bin/env bash
# Benchmarks an int8 .tflite model on a Coral Edge TPU without Python: compiles it with
# edgetpu_compiler when needed, then runs TFLite's benchmark_model with libedgetpu as an
# external delegate. Run it on the machine the Edge TPU is attached to (a Linux host with
# the USB Accelerator, or the Dev Board itself). The first inference loads the model onto
# the TPU: compare "First inference" with "Inference (avg)" in the report.
#
# Usage: mobile/edgetpu_benchmark.sh --binary PATH --model M.tflite [--runs 50] [--warmup 5]
#          [--delegate-lib libedgetpu.so.1]
#   --binary  benchmark_model built for this machine (x86-64 or aarch64)
set -euo pipefail

usage() {
  sed -n '/^# Usage:/,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "error: $*" >&2; exit 1; }

binary="" model="" runs="50" warmup="5" lib="libedgetpu.so.1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --model) model="${2:?--model needs a path}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --warmup) warmup="${2:?--warmup needs a value}"; shift 2 ;;
    --delegate-lib) lib="${2:?--delegate-lib needs a path}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "error: unknown argument: $1" >&2; usage ;;
  esac
done
[[ -n "$model" ]] || { echo "error: --model is required" >&2; usage; }
[[ -n "$binary" ]] || { echo "error: --binary (benchmark_model) is required" >&2; usage; }
[[ "$runs" =~ ^[1-9][0-9]*$ && "$warmup" =~ ^[0-9]+$ ]] || { echo "error: --runs/--warmup must be integers" >&2; usage; }
[[ -f "$model" ]] || die "no such model: $model"
[[ -x "$binary" ]] || die "no such executable benchmark_model: $binary"

compiled="$model"
if [[ "$model" != *_edgetpu.tflite ]]; then
  command -v edgetpu_compiler >/dev/null 2>&1 \
    || die "edgetpu_compiler not found on PATH; install it (https://coral.ai/docs/edgetpu/compiler/) or pass a *_edgetpu.tflite"
  out_dir=$(dirname "$model")
  edgetpu_compiler --out_dir "$out_dir" --show_operations "$model"
  compiled="$out_dir/$(basename "${model%.tflite}")_edgetpu.tflite"
fi
if [[ "$lib" == */* ]]; then
  [[ -f "$lib" ]] || die "Edge TPU runtime not found: $lib"
elif ! ldconfig -p 2>/dev/null | grep -q "$lib"; then
  die "Edge TPU runtime $lib not installed (Debian package libedgetpu1-std)"
fi
"$binary" --graph="$compiled" --external_delegate_path="$lib" --num_threads=1 \
  --num_runs="$runs" --warmup_runs="$warmup" --report_peak_memory_footprint=true
