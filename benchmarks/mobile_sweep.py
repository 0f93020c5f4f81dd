"""Candidate mobile VFL-Net configurations: GMACs, params, ops, float32 and int8 TFLite latency, side by side.

Each candidate is the vfl_net_nano preset with overrides (embed dim, depths,
focal levels, input size, tubelet, patch, temporal conv). Every candidate is
exported to float32 and full-int8 TFLite (fresh weights: latency does not
depend on them; int8 calibrated on random clips, which sets the scales but
not the graph), then ALL files are timed round-robin in one process (one
invoke of each file in turn, medians), so the load of other processes hits
every file alike and the ratios are fair.

    python -m benchmarks mobile-sweep --output runs/mobile_sweep --threads 2 --repeats 15
    python -m benchmarks mobile-sweep --only m32_d1111_160_t2_dw m24_d1111_160_t2_dw

Writes `output/sweep.json` and prints a markdown table (docs/mobile.md).
Files already exported in `output` are reused.
"""

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 400
NUM_FRAMES = 8

# name -> backbone overrides of vfl_net_nano (8 frames). Names: m{embed}_d{depths}_{size}_t{tubelet}_{conv}
# [_p{patch}][_f{focal level}].
_DW = {"temporal_conv": "depthwise"}
_F1 = {"focal_levels": [1, 1, 1, 1]}
_F1_3 = {"focal_levels": [1, 1, 1], "focal_windows": [3, 3, 3]}
_GS = {"activation": "gelu_sigmoid"}  # exact GELU is not delegated by XNNPACK in int8
_D1111_160_T2 = {"depths": [1, 1, 1, 1], "image_size": 160, "tubelet_size": 2}
CANDIDATES = {
    # The first probe (embed 32, tubelet 2, 160 px, official dense temporal convs), depths [1,1,2,1].
    "m32_d1121_160_t2_dense": {"embed_dim": 32, "depths": [1, 1, 2, 1], "image_size": 160, "tubelet_size": 2},
    # The temporal-conv axis at depths [1,1,1,1].
    "m32_d1111_160_t2_dense": {"embed_dim": 32, **_D1111_160_T2},
    "m32_d1111_160_t2_grouped": {"embed_dim": 32, **_D1111_160_T2, "temporal_conv": "grouped"},
    "m32_d1111_160_t2_dw": {"embed_dim": 32, **_D1111_160_T2, **_DW},
    # Fewer ops: one focal level, then a GELU that int8 XNNPACK takes.
    "m32_d1111_160_t2_dw_f1": {"embed_dim": 32, **_D1111_160_T2, **_DW, **_F1},
    "m32_d1111_160_t2_dw_f1_gs": {"embed_dim": 32, **_D1111_160_T2, **_DW, **_F1, **_GS},
    # Three stages (3 blocks, 10 LayerNorms), fewer tokens: patch 8 or tubelet 4.
    "m48_d111_160_t2_dw_f1_gs_p8": {
        "embed_dim": 48,
        "depths": [1, 1, 1],
        "image_size": 160,
        "tubelet_size": 2,
        "patch_size": 8,
        **_DW,
        **_F1_3,
        **_GS,
    },
    "m32_d111_160_t4_dw_f1_gs": {
        "embed_dim": 32,
        "depths": [1, 1, 1],
        "image_size": 160,
        "tubelet_size": 4,
        **_DW,
        **_F1_3,
        **_GS,
    },
    "m64_d111_160_t4_dw_f1_gs_p8": {
        "embed_dim": 64,
        "depths": [1, 1, 1],
        "image_size": 160,
        "tubelet_size": 4,
        "patch_size": 8,
        **_DW,
        **_F1_3,
        **_GS,
    },
}


def _config(overrides):
    config = {"num_frames": NUM_FRAMES, **overrides}
    stages = len(config.get("depths", [1, 1, 2, 1]))
    config.setdefault("focal_levels", [2] * stages)
    config.setdefault("focal_windows", [3] * stages)
    return config


def _random_clips(shape, count=3, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 255, shape).astype("float32") for _ in range(count)]


def _trained_like_layer_norms(model, seed=0):
    """Random LayerNorm gamma/beta, as after training.

    With fresh weights (beta = 0) every token's mean after a LayerNorm is exactly 0, the
    calibrated scale of the next LayerNorm's mean collapses, and XNNPACK refuses that int8
    SUB (benchmarks/README.md): an int8 latency no trained model has.
    """
    import numpy as np

    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import LayerNorm

    rng = np.random.default_rng(seed)
    for layer in model._flatten_layers():  # noqa: SLF001 (keras has no public recursive layer walk)
        if isinstance(layer, LayerNorm):
            channels = layer.gamma.shape[0]
            layer.gamma.assign((1.0 + 0.1 * rng.standard_normal(channels)).astype("float32"))
            layer.beta.assign((0.1 * rng.standard_normal(channels)).astype("float32"))


def export_candidate(name, overrides, output, preset="vfl_net_nano"):
    """Profiles and exports one candidate; returns its row (without latency)."""
    from dvfl_tf.export.tflite_conversion import convert
    from dvfl_tf.models.profiling import profile_model
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    row_path = os.path.join(output, f"{name}.json")
    if os.path.exists(row_path):
        with open(row_path) as f:
            return json.load(f)
    config = _config(overrides)
    model = build_model(preset, num_classes=NUM_CLASSES, **config)
    _trained_like_layer_norms(model)
    clip_model = model.single_clip_model()
    profile = profile_model(model)
    row = {
        "name": name,
        "config": config,
        "gmacs": round(profile["gmacs"], 3),
        "params_m": round(profile["params"] / 1e6, 3),
    }
    for mode in ("float32", "int8"):
        path = os.path.join(output, f"{name}_{mode}.tflite")
        clips = _random_clips(tuple(clip_model.input.shape)) if mode == "int8" else None
        with open(path, "wb") as f:
            f.write(convert(clip_model, mode, calibration_clips=clips))
        row[f"{mode}_file"] = path
        row[f"{mode}_mb"] = round(os.path.getsize(path) / 1e6, 2)
    with open(row_path, "w") as f:
        json.dump(row, f, indent=2)
    return row


def count_ops(path):
    from dvfl_tf.runtime.interpreter import make_interpreter

    interpreter = make_interpreter(model_path=path, num_threads=1)
    return len(interpreter._get_ops_details())  # noqa: SLF001 (the only op listing LiteRT's Python API has)


def time_round_robin(paths, threads, repeats, warmup=2):
    """{path: [ms, ...]}: one invoke of each file in turn, `repeats` rounds after `warmup` rounds."""
    import numpy as np

    from dvfl_tf.runtime.interpreter import make_interpreter, quantize_to

    rng = np.random.default_rng(0)
    interpreters = {}
    for path in paths:
        interpreter = make_interpreter(model_path=path, num_threads=threads)
        detail = interpreter.get_input_details()[0]
        clip = rng.uniform(0, 255, size=detail["shape"]).astype(np.float32)
        interpreter.set_tensor(detail["index"], quantize_to(clip, detail))
        interpreters[path] = interpreter
    times = {path: [] for path in paths}
    for round_index in range(warmup + repeats):
        for path, interpreter in interpreters.items():
            start = time.perf_counter()
            interpreter.invoke()
            if round_index >= warmup:
                times[path].append((time.perf_counter() - start) * 1000)
    return times


def format_table(rows):
    lines = [
        "| candidate | input | temporal conv | GMACs | params (M) | ops f32 / int8 | float32 ms | int8 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        config = row["config"]
        size = config["image_size"]
        lines.append(
            f"| {row['name']} | {NUM_FRAMES}x{size}x{size} | {config.get('temporal_conv', 'dense')} | "
            f"{row['gmacs']:.2f} | {row['params_m']:.2f} | {row['float32_ops']} / {row['int8_ops']} | "
            f"{row['float32_ms']:.1f} | {row['int8_ms']:.1f} |"
        )
    return "\n".join(lines)


def main():
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/mobile_sweep")
    parser.add_argument("--only", nargs="+", default=None, help="candidate names (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--export-only", action="store_true", help="export (and cache) without timing")
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    names = args.only or list(CANDIDATES)
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        parser.error(f"unknown candidates {unknown}; known: {sorted(CANDIDATES)}")

    rows = []
    for name in names:
        start = time.time()
        rows.append(export_candidate(name, CANDIDATES[name], args.output))
        print(f"{name}: {rows[-1]['gmacs']:.2f} GMACs, exported in {time.time() - start:.0f} s", flush=True)
    if args.export_only:
        return
    paths = [row[f"{mode}_file"] for row in rows for mode in ("float32", "int8")]
    load_before = os.getloadavg()
    times = time_round_robin(paths, args.threads, args.repeats)
    load_after = os.getloadavg()
    for row in rows:
        for mode in ("float32", "int8"):
            values = times[row[f"{mode}_file"]]
            row[f"{mode}_ms"] = float(np.median(values))
            row[f"{mode}_p25_p75"] = [float(v) for v in np.percentile(values, [25, 75])]
            row[f"{mode}_ops"] = count_ops(row[f"{mode}_file"])
    summary = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "threads": args.threads,
        "repeats": args.repeats,
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rows": rows,
    }
    with open(os.path.join(args.output, "sweep.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(
        f"# {summary['machine']}, {args.threads} threads, {args.repeats} round-robin repeats, "
        f"load {summary['load_average_before_after']}, {summary['when']}"
    )
    print(format_table(rows))


if __name__ == "__main__":
    main()
