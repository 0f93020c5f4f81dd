"""Median invoke latency of `.tflite` files on this machine's CPU (LiteRT, XNNPACK), TensorFlow-free.

Files are measured round-robin (one invoke of each in turn), so load from
other processes hits every file alike and the comparison stays fair.

    flock /tmp/dvfl-cpu.lock python benchmarks/tflite_latency.py a.tflite b.tflite --repeats 10 --threads 2
"""

import argparse
import os
import platform
import time

import numpy as np

from dvfl_tf.runtime.interpreter import interpreter_module, make_interpreter, quantize_to


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    interpreters = {}
    for path in args.models:
        interpreter = make_interpreter(model_path=path, num_threads=args.threads)
        detail = interpreter.get_input_details()[0]
        clip = rng.uniform(0, 255, size=detail["shape"]).astype(np.float32)
        interpreter.set_tensor(detail["index"], quantize_to(clip, detail))
        interpreter.invoke()  # warm-up (XNNPACK packs weights on the first run)
        interpreters[path] = interpreter
    times = {path: [] for path in args.models}
    for _ in range(args.repeats):
        for path, interpreter in interpreters.items():
            start = time.perf_counter()
            interpreter.invoke()
            times[path].append((time.perf_counter() - start) * 1000)
    print(
        f"# {platform.machine()} {os.cpu_count()} CPUs, runtime {interpreter_module()[1]}, "
        f"threads {args.threads or 'default'}, {args.repeats} round-robin repeats"
    )
    print(f"{'model':<50s} {'size MB':>8s} {'median ms':>10s} {'p25':>8s} {'p75':>8s}")
    for path, values in times.items():
        p25, median, p75 = np.percentile(values, [25, 50, 75])
        print(f"{os.path.basename(path):<50s} {os.path.getsize(path) / 1e6:8.2f} {median:10.1f} {p25:8.1f} {p75:8.1f}")


if __name__ == "__main__":
    main()
