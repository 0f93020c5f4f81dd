#!/usr/bin/env bash
# The int8 speed-up figures of docs/benchmark.md ("Does int8 pay?"): exports float32, int8 and
# int8_mixed files of a preset (benchmarks/export_int8_models.py), times them with
# `dvfl-tf benchmark --int8-speedup`, and writes the report with the command and commit.
# Usage: bash benchmarks/run_int8_speedup.sh PRESET RUNS [CALIBRATION_CLIPS] [MODEL_DIR] [RESULTS_DIR]
set -euo pipefail
preset="$1"
runs="$2"
clips="${3:-32}"
models="${4:-runs/int8_models}"
results="${5:-benchmarks/results/int8}"
mkdir -p "$results"
[[ -f "$models/${preset}_int8_mixed.tflite" ]] ||
  python benchmarks/export_int8_models.py --preset "$preset" --output "$models" --calibration-clips "$clips"
out="$results/${preset}_int8_speedup.json"
command=(python -m dvfl_tf benchmark "$models/${preset}_float32.tflite" "$models/${preset}_int8.tflite"
  "$models/${preset}_int8_mixed.tflite" --int8-speedup --threads 2 --runs "$runs" --save-json "$out" --overwrite)
"${command[@]}"
python - "$out" "$(git rev-parse HEAD)" "${command[*]}" <<'PY'
import json, sys
path, commit, command = sys.argv[1:4]
with open(path) as f:
    report = json.load(f)
with open(path, "w") as f:
    json.dump({"command": command, "commit": commit, **report}, f, indent=2)
    f.write("\n")
PY
