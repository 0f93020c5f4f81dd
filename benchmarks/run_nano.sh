#!/usr/bin/env bash
# Re-runs every row of the vfl_net_nano table in benchmarks/README.md (one command per row),
# then the per-op profiles and the comparison plots.
# Usage: bash benchmarks/run_nano.sh [MODEL_DIR] [RESULTS_DIR]
# Rows whose results file exists are skipped (delete it to re-measure). The whole run holds
# /tmp/dvfl-cpu.lock once, so other heavy jobs on the machine wait instead of interleaving.
set -euo pipefail
models="${1:-runs/benchmark_models}"
results="${2:-benchmarks/results}"
mkdir -p "$results"
exec 9>/tmp/dvfl-cpu.lock
flock 9

[[ -f "$models/vfl_net_nano_int8.tflite" ]] || python benchmarks/export_nano.py --output "$models"

row() {  # row RESULT_NAME ARGS...: one table row (or two: 1 and 2 threads)
  local out="$results/$1.json"; shift
  [[ -f "$out" ]] || python -m dvfl_tf benchmark "$@" --save-json "$out"
}
row nano_keras "$models/vfl_net_nano.keras" --threads 1,2 --runs 10 --warmup 2
for mode in float32 fp16 dynamic_range int8; do
  row "nano_$mode" "$models/vfl_net_nano_$mode.tflite" --threads 1,2 --runs 10 --warmup 2 --roofline
done
row nano_float32_builtin "$models/vfl_net_nano_float32.tflite" --delegate builtin --threads 1,2 --runs 3 --warmup 1

for mode in float32 int8; do
  out="$results/op_profile_${mode}_2threads.txt"
  [[ -f "$out" ]] || python -m dvfl_tf benchmark "$models/vfl_net_nano_$mode.tflite" --op-profile --threads 2 \
    --runs 3 --warmup 1 > "$out"
done
python -m dvfl_tf benchmark --compare "$results"/nano_*.json --plots-dir "$results" > "$results/table.txt"
cat "$results/table.txt"
