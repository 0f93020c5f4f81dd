"""The int8 speed-up figures of docs/benchmark.md: float32, int8 and int8_mixed files of a preset, timed.

    python -m benchmarks int8-speedup --preset vfl_net_mobile --runs 300
    python -m benchmarks int8-speedup --preset vfl_net_nano --runs 20 --calibration-clips 8
    python -m benchmarks int8-speedup --preset vfl_net_mobile_int8 --modes float32 int8 --runs 300
    python -m benchmarks int8-speedup --preset vfl_net_mobile --backbone-overrides '{"norm": "batch"}' \
        --name mobile_bn --modes float32 int8   # a candidate, without a preset of its own

Writes the files (one per mode; default float32, int8 and int8_mixed) to --output (kept: a second run
times them again without exporting), times them with `dvfl-tf benchmark --int8-speedup --threads 2` and
writes the report, with the command and commit, to `benchmarks/results/int8/NAME_int8_speedup.json` (NAME:
--name, default the preset).

Fresh weights, except every LayerNorm's gamma ~ U(0.5, 1.5) and beta ~ N(0, 0.2)
(seeded): with a fresh LayerNorm (beta = 0) each token's mean is exactly zero,
its int8 scale collapses and XNNPACK refuses the int8 SUB `x - mean`, which a
trained model does not show; a batch norm's moving mean ~ N(0, 0.3) and moving
variance ~ U(0.5, 2) likewise (they fold into the next layer's weights). Latency
depends on the weights only through such calibrated scales. Calibration on
synthetic motion clips.
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = ("float32", "int8", "int8_mixed")


def trained_like_norms(model, seed=0):
    """Sets every norm's gamma and beta (and a batch norm's moving statistics) to seeded values away from
    their fresh ones."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for weight in model.weights:
        if len(weight.shape) != 1:
            continue
        if weight.path.endswith("gamma"):
            weight.assign(rng.uniform(0.5, 1.5, weight.shape).astype("float32"))
        elif weight.path.endswith("beta"):
            weight.assign(rng.normal(0, 0.2, weight.shape).astype("float32"))
        elif weight.path.endswith("moving_mean"):
            weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32"))
        elif weight.path.endswith("moving_variance"):
            weight.assign(rng.uniform(0.5, 2.0, weight.shape).astype("float32"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="vfl_net_mobile")
    parser.add_argument("--output", default="runs/int8_models")
    parser.add_argument("--num-classes", type=int, default=51)
    parser.add_argument("--calibration-clips", type=int, default=32)
    parser.add_argument("--runs", type=int, default=100, help="timed runs per file")
    parser.add_argument("--results", default="benchmarks/results/int8", help="folder of the JSON report")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="float32 first")
    parser.add_argument(
        "--backbone-overrides",
        type=json.loads,
        default=None,
        help='JSON backbone arguments, e.g. \'{"norm": "batch"}\'',
    )
    parser.add_argument("--name", default=None, help="names the files and the report (default: the preset)")
    args = parser.parse_args()
    args.name = args.name or args.preset
    paths = [os.path.join(args.output, f"{args.name}_{mode}.tflite") for mode in args.modes]
    if not all(os.path.exists(path) for path in paths):
        export(args)
    time_files(args, paths)


def time_files(args, paths):
    os.makedirs(args.results, exist_ok=True)
    report_path = os.path.join(args.results, f"{args.name}_int8_speedup.json")
    command = [sys.executable, "-m", "dvfl_tf", "benchmark", *paths, "--int8-speedup", "--threads", "2"]
    command += ["--runs", str(args.runs), "--save-json", report_path, "--overwrite"]
    subprocess.run(command, check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    with open(report_path) as f:
        report = json.load(f)
    shown = " ".join(["python -m dvfl_tf", *command[3:]])
    made = {"preset": args.preset, "backbone_overrides": args.backbone_overrides, "export_command": _own_command()}
    with open(report_path, "w") as f:
        json.dump({"command": shown, "commit": commit, **made, **report}, f, indent=2)
        f.write("\n")


def export(args):
    import keras

    from dvfl_tf.export import export_tflite
    from dvfl_tf.export.calibration import synthetic_motion_clips
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    os.makedirs(args.output, exist_ok=True)
    keras.utils.set_random_seed(0)
    model = build_model(args.preset, num_classes=args.num_classes, **(args.backbone_overrides or {}))
    trained_like_norms(model)
    calibration = synthetic_motion_clips(args.calibration_clips, model.num_frames, model.frame_shape)
    for mode in args.modes:
        path = os.path.join(args.output, f"{args.name}_{mode}.tflite")
        start = time.time()
        report = export_tflite(model, path, mode=mode, calibration_clips=calibration)
        print(
            f"{path}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - start:.0f} s, "
            f"top-1 agreement {report.top1_agreement:.3f} on {report.num_clips} clips",
            flush=True,
        )


def _own_command():
    import shlex

    return " ".join(["python -m benchmarks int8-speedup", *map(shlex.quote, sys.argv[1:])])


if __name__ == "__main__":
    main()
