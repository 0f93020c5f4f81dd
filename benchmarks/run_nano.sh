#!/usr/bin/env bash
# Re-runs every row of the vfl_net_nano table in benchmarks/README.md, one command per row.
# Usage: bash benchmarks/run_nano.sh [MODEL_DIR] [RESULTS_DIR]
# Each command holds /tmp/dvfl-cpu.lock so that other heavy jobs on the machine wait.
set -euo pipefail
models="${1:-runs/benchmark_models}"
results="${2:-benchmarks/results}"
mkdir -p "$results"
run() { flock /tmp/dvfl-cpu.lock python -m dvfl_tf benchmark "$@"; }

[[ -f "$models/vfl_net_nano_int8.tflite" ]] || python benchmarks/export_nano.py --output "$models"

run "$models/vfl_net_nano.keras" --threads 1,2 --runs 10 --warmup 2 --save-json "$results/nano_keras.json"
for mode in float32 fp16 dynamic_range int8; do
  run "$models/vfl_net_nano_$mode.tflite" --threads 1,2 --runs 10 --warmup 2 --roofline \
    --save-json "$results/nano_$mode.json"
done
run "$models/vfl_net_nano_float32.tflite" --delegate builtin --threads 1,2 --runs 3 --warmup 1 \
  --save-json "$results/nano_float32_builtin.json"
python -m dvfl_tf benchmark --compare "$results"/nano_*.json --plots-dir "$results"
