"""Every row of the vfl_net_nano latency tables (benchmarks/README.md), the per-op profiles, table.txt and the plots.

    python -m benchmarks nano-latency --models runs/benchmark_models --results runs/nano_results

Exports the models first when `--models` lacks them (`python -m benchmarks nano-export`), then runs one
`dvfl-tf benchmark` per row, each in its own process:

    dvfl-tf benchmark MODELS/vfl_net_nano_int8.tflite --threads 1,2 --runs 10 --warmup 2 --roofline \\
        --save-json RESULTS/nano_int8.json
    dvfl-tf benchmark MODELS/vfl_net_nano_int8.tflite --op-profile --threads 2 --runs 3 --warmup 1
    dvfl-tf benchmark --compare RESULTS/nano_*.json --plots-dir RESULTS

A row whose result file exists is skipped, so a second run only fills in what is missing.
"""

import argparse
import glob
import os
import subprocess
import sys

PRESET = "vfl_net_nano"
TFLITE_MODES = ("float32", "fp16", "dynamic_range", "int8")
ROW = ("--threads", "1,2", "--runs", "10", "--warmup", "2")


def rows(models):
    """(result file name, `dvfl-tf benchmark` arguments) of every table row."""
    model = os.path.join(models, PRESET)
    yield "nano_keras.json", [f"{model}.keras", *ROW]
    for mode in TFLITE_MODES:
        yield f"nano_{mode}.json", [f"{model}_{mode}.tflite", *ROW, "--roofline"]
    builtin = ("--delegate", "builtin", "--threads", "1,2", "--runs", "3", "--warmup", "1")
    yield "nano_float32_builtin.json", [f"{model}_float32.tflite", *builtin]


def _benchmark(arguments, stdout=None):
    command = [sys.executable, "-m", "dvfl_tf", "benchmark", *arguments]
    print("$ dvfl-tf benchmark " + " ".join(arguments), flush=True)
    subprocess.run(command, check=True, stdout=stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="runs/benchmark_models", help="folder of the exported models")
    parser.add_argument("--results", default="runs/nano_results", help="folder of the records written")
    args = parser.parse_args()

    os.makedirs(args.results, exist_ok=True)
    if not os.path.isfile(os.path.join(args.models, f"{PRESET}_int8.tflite")):
        subprocess.run([sys.executable, "-m", "benchmarks", "nano-export", "--output", args.models], check=True)
    for name, arguments in rows(args.models):
        out = os.path.join(args.results, name)
        if not os.path.isfile(out):
            _benchmark([*arguments, "--save-json", out])
    for mode in ("float32", "int8"):
        out = os.path.join(args.results, f"op_profile_{mode}_2threads.txt")
        if not os.path.isfile(out):
            model = os.path.join(args.models, f"{PRESET}_{mode}.tflite")
            with open(out, "w") as f:
                _benchmark([model, "--op-profile", "--threads", "2", "--runs", "3", "--warmup", "1"], stdout=f)
    records = sorted(glob.glob(os.path.join(args.results, "nano_*.json")))
    with open(os.path.join(args.results, "table.txt"), "w") as f:
        _benchmark(["--compare", *records, "--plots-dir", args.results], stdout=f)
    with open(os.path.join(args.results, "table.txt")) as f:
        print(f.read(), end="")


if __name__ == "__main__":
    main()
