"""What does TensorFlow's op determinism cost the quickstart's training? Prints figures.

Two fresh processes side by side (so both see the same machine load), one with
`dvfl_tf.apps.quickstart.make_deterministic` and one with the seed only,
each timing `--steps` training steps (`train_on_batch`, AdamW, batch 8 of 8x64x64
clips) of the quickstart's teacher and student. Prints the median step time per
model and mode and the ratio deterministic / default.

    PYTHONPATH=. python experiments/op_determinism_cost.py --steps 30

The whole-run view (accuracies, digests, wall time) is
`python -m benchmarks quickstart-determinism`.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

CHILD = """
import json, sys, time
import numpy as np
import keras
from dvfl_tf import build_model
from dvfl_tf.apps import quickstart as q

deterministic, steps = sys.argv[1] == "1", int(sys.argv[2])
if deterministic:
    q.make_deterministic(0)
else:
    keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
clips = rng.uniform(0, 255, (8, q.NUM_FRAMES, q.IMAGE_SIZE, q.IMAGE_SIZE, 3)).astype("float32")
labels = keras.utils.to_categorical(rng.integers(0, 8, 8), 8)
result = {}
for name, overrides in (("teacher", q.TEACHER_OVERRIDES), ("student", q.STUDENT_OVERRIDES)):
    model = build_model(q.PRESET, num_classes=8, num_frames=q.NUM_FRAMES, image_size=q.IMAGE_SIZE, **overrides)
    model.compile(optimizer=keras.optimizers.AdamW(5e-4, weight_decay=0.05),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    model.train_on_batch(clips, labels)  # tracing
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(clips, labels)
        times.append(time.perf_counter() - start)
    result[name] = float(np.median(times))
print("RESULT " + json.dumps(result))
"""


def run_child(deterministic, steps):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, "1" if deterministic else "0", str(steps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {
            mode: pool.submit(run_child, mode == "deterministic", args.steps) for mode in ("deterministic", "default")
        }
        results = {mode: future.result() for mode, future in futures.items()}
    load_after = os.getloadavg()
    print(f"load average (1 min) before / after: {load_before[0]:.1f} / {load_after[0]:.1f}")
    print(f"{'model':<10}{'deterministic s/step':>22}{'default s/step':>16}{'ratio':>8}")
    for name in results["default"]:
        det, default = results["deterministic"][name], results["default"][name]
        print(f"{name:<10}{det:>22.3f}{default:>16.3f}{det / default:>8.2f}")


if __name__ == "__main__":
    main()
