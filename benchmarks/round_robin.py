"""`.tflite` files timed side by side in one process, round-robin, medians (LiteRT, XNNPACK), TensorFlow-free.

Every file is invoked once per round, in turn, so the load of other processes
hits all of them alike and the ratios stay fair; this is the timing of
`python -m benchmarks stream latency`. Each row gives the time of one invoke
and of one frame: a clip file takes its clip (8 frames), a stream file (a
frame or tubelet + states in, logits + states out) its tubelet (ours: the
metadata's `tubelet_size`; MoViNet's: the frame axis of its 5-D `image`).

    python -m benchmarks round-robin runs/benchmark_models/vfl_net_nano_{float32,int8}.tflite --threads 2 --repeats 30
    python -m benchmarks round-robin runs/stream_latency/*.tflite runs/movinet/movinet_a0_*.tflite --save-json t.json
"""

import argparse
import json
import os
import platform
import time

import numpy as np


def make_interpreters(paths, threads):
    from dvfl_tf.latency.inputs import random_input
    from dvfl_tf.runtime.interpreter import make_interpreter

    interpreters = {}
    for path in paths:
        interpreter = make_interpreter(model_path=path, num_threads=threads)
        for seed, detail in enumerate(interpreter.get_input_details()):
            interpreter.set_tensor(detail["index"], random_input(detail["shape"], detail["dtype"], seed=seed))
        interpreters[path] = interpreter
    return interpreters


def frames_per_invoke(path, interpreter):
    """Frames one invoke of the file takes in, or None when the file does not say."""
    from dvfl_tf.runtime.model_metadata import load_metadata
    from dvfl_tf.runtime.stream import STREAM_FORMAT

    metadata = load_metadata(path)
    if metadata.get("format") == STREAM_FORMAT:
        return int(metadata["tubelet_size"])
    if metadata.get("num_frames"):
        return int(metadata["num_frames"])
    # MoViNet: the 5-D `image` input (1, T, H, W, 3); its stream states are 5-D too, so go by name.
    videos = [d for d in interpreter.get_input_details() if len(d["shape"]) == 5 and d["shape"][-1] == 3]
    images = [d for d in videos if "image" in d["name"]] or videos
    return int(images[0]["shape"][1]) if len(images) == 1 else None


def time_round_robin(paths, threads=2, repeats=30, warmup=3):
    """(rows, header): each file invoked once per round, in turn; medians per invoke and per frame."""
    interpreters = make_interpreters(paths, threads)
    times = {path: [] for path in paths}
    load_before = os.getloadavg()[0]
    for round_index in range(warmup + repeats):
        for path, interpreter in interpreters.items():
            start = time.perf_counter()
            interpreter.invoke()
            if round_index >= warmup:
                times[path].append((time.perf_counter() - start) * 1000)
    load_after = os.getloadavg()[0]
    rows = []
    for path, values in times.items():
        interpreter = interpreters[path]
        inputs = interpreter.get_input_details()
        frames = frames_per_invoke(path, interpreter)
        p25, median, p75 = np.percentile(values, [25, 50, 75])
        rows.append(
            {
                "model": os.path.basename(path),
                "inputs": len(inputs),
                "input_shape": [int(d) for d in inputs[0]["shape"]] if len(inputs) == 1 else "frame + states",
                "input_dtype": np.dtype(inputs[0]["dtype"]).name,
                "size_mb": round(os.path.getsize(path) / 1e6, 2),
                "median_ms": round(float(median), 2),
                "p25_ms": round(float(p25), 2),
                "p75_ms": round(float(p75), 2),
                "min_ms": round(float(min(values)), 2),
                "frames_per_invoke": frames,
                "ms_per_frame": round(float(median) / frames, 3) if frames else None,
            }
        )
    header = (
        f"# {platform.machine()} {os.cpu_count()} CPUs, {threads} threads, {repeats} round-robin "
        f"repeats after {warmup} warm-up, load average {load_before:.1f} -> {load_after:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    return rows, header


def format_rows(rows, header):
    lines = [
        header,
        "| model | input | size MB | median ms | p25 | p75 | min | frames | ms per frame |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        per_frame = "" if row["ms_per_frame"] is None else row["ms_per_frame"]
        lines.append(
            f"| {row['model']} | {row['input_shape']} {row['input_dtype']} | {row['size_mb']} | "
            f"{row['median_ms']} | {row['p25_ms']} | {row['p75_ms']} | {row['min_ms']} | "
            f"{row['frames_per_invoke'] or ''} | {per_frame} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--save-json", default=None)
    args = parser.parse_args()
    missing = [path for path in args.models if not os.path.isfile(path)]
    if missing:
        parser.error(f"model file not found: {missing[0]}")

    rows, header = time_round_robin(args.models, args.threads, args.repeats, args.warmup)
    print(format_rows(rows, header))
    if args.save_json:
        with open(args.save_json, "w") as f:
            json.dump({"header": header, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
