#!/usr/bin/env bash
# Benchmarks .tflite models on an Android device with TFLite's official benchmark_model,
# using only adb on the host (no Python). Prints benchmark_model's own report per run;
# `dvfl-tf benchmark --target android` runs the same commands and parses them into records.
#
# Usage: mobile/android_benchmark.sh --binary PATH --model M.tflite [--model M2.tflite ...]
#          [--serial SERIAL] [--threads 1,2,4] [--runs 50] [--warmup 5]
#          [--delegate xnnpack|builtin|gpu|nnapi] [--taskset MASK] [--log-dir DIR]
#   --binary   benchmark_model built for the device (e.g. the nightly android_aarch64_benchmark_model)
#   --taskset  CPU affinity mask, e.g. f0 for the big cores of many 4+4 phones
set -euo pipefail

usage() {
  sed -n '/^# Usage:/,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "error: $*" >&2; exit 1; }

binary="" serial="" threads="1" runs="50" warmup="5" delegate="xnnpack" taskset="" log_dir=""
models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --model) models+=("${2:?--model needs a path}"); shift 2 ;;
    --serial) serial="${2:?--serial needs a value}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --warmup) warmup="${2:?--warmup needs a value}"; shift 2 ;;
    --delegate) delegate="${2:?--delegate needs a value}"; shift 2 ;;
    --taskset) taskset="${2:?--taskset needs a mask}"; shift 2 ;;
    --log-dir) log_dir="${2:?--log-dir needs a path}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "error: unknown argument: $1" >&2; usage ;;
  esac
done

[[ ${#models[@]} -gt 0 ]] || { echo "error: give at least one --model" >&2; usage; }
[[ -n "$binary" ]] || { echo "error: --binary (benchmark_model for the device) is required" >&2; usage; }
[[ "$threads" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "error: --threads must be like 1,2,4; got $threads" >&2; usage; }
[[ "$runs" =~ ^[1-9][0-9]*$ && "$warmup" =~ ^[0-9]+$ ]] || { echo "error: --runs/--warmup must be integers" >&2; usage; }
case "$delegate" in
  xnnpack) flags="--use_xnnpack=true" ;;
  builtin) flags="--use_xnnpack=false" ;;
  gpu) flags="--use_gpu=true" ;;
  nnapi) flags="--use_nnapi=true" ;;
  *) echo "error: --delegate must be xnnpack, builtin, gpu or nnapi; got $delegate" >&2; usage ;;
esac
[[ -f "$binary" ]] || die "no such benchmark_model binary: $binary"
for model in "${models[@]}"; do [[ -f "$model" ]] || die "no such model: $model"; done

command -v adb >/dev/null 2>&1 || die "adb not found on PATH; install Android platform-tools"
adb_cmd=(adb)
[[ -n "$serial" ]] && adb_cmd+=(-s "$serial")
ready=$(adb devices | awk 'NR > 1 && $2 == "device" {print $1}')
if [[ -z "$ready" ]]; then die "no Android device ready over adb (connect one, enable USB debugging, accept the prompt)"; fi
if [[ -z "$serial" && $(wc -l <<< "$ready") -gt 1 ]]; then die "several devices attached; choose one with --serial"; fi

prop() { "${adb_cmd[@]}" shell getprop "$1" | tr -d '\r'; }
soc=$(prop ro.soc.model); [[ -n "$soc" ]] || soc=$(prop ro.board.platform)
echo "device: $(prop ro.product.model) (SoC ${soc:-unknown}, Android $(prop ro.build.version.release))"

remote=/data/local/tmp
"${adb_cmd[@]}" push "$binary" "$remote/benchmark_model" >/dev/null
"${adb_cmd[@]}" shell chmod +x "$remote/benchmark_model"
[[ -n "$log_dir" ]] && mkdir -p "$log_dir"
for model in "${models[@]}"; do
  name=$(basename "$model")
  "${adb_cmd[@]}" push "$model" "$remote/$name" >/dev/null
  for n in ${threads//,/ }; do
    echo "=== $name, $delegate, $n thread(s) ==="
    pin=""; [[ -n "$taskset" ]] && pin="taskset $taskset "
    output=$("${adb_cmd[@]}" shell "${pin}$remote/benchmark_model --graph=$remote/$name --num_threads=$n \
      --num_runs=$runs --warmup_runs=$warmup $flags --report_peak_memory_footprint=true 2>&1" | tr -d '\r')
    echo "$output" | grep -E "Inference timings|count=|peak memory|Memory footprint|ERROR" || echo "$output" | tail -n 20
    [[ -n "$log_dir" ]] && echo "$output" > "$log_dir/${name%.tflite}_${delegate}_${n}threads.log"
  done
done
