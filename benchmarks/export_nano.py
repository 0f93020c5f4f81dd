"""Writes the vfl_net_nano models benchmarked in benchmarks/README.md (fresh weights: latency does not depend on them).

    python -m benchmarks nano-export --output runs/benchmark_models
    python -m benchmarks nano-export --output runs/modes --num-classes 51 --modes float32,int8,int16x8,edgetpu

Writes vfl_net_nano.keras and vfl_net_nano_{MODE}.tflite for each mode (default float32, fp16,
dynamic_range, int8; also int16x8 and edgetpu, the int8 Edge TPU profile), 8 frames of 224x224, 400 classes,
through `dvfl_tf.export.export_tflite`, and prints each export's summary: size, ops, maximum tensor rank,
input and output types, float ops left, agreement with Keras.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = ("float32", "fp16", "dynamic_range", "int8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/benchmark_models")
    parser.add_argument("--preset", default="vfl_net_nano")
    parser.add_argument("--num-classes", type=int, default=400)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated; also int16x8, edgetpu")
    args = parser.parse_args()
    from dvfl_tf.export import export_tflite, format_summary
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    os.makedirs(args.output, exist_ok=True)
    model = build_model(args.preset, num_classes=args.num_classes)
    model.save(os.path.join(args.output, f"{args.preset}.keras"))
    for name in args.modes.split(","):
        path = os.path.join(args.output, f"{args.preset}_{name}.tflite")
        start = time.time()
        report = export_tflite(model, path, mode="int8" if name == "edgetpu" else name, edgetpu=name == "edgetpu")
        print(format_summary(report))
        print(f"  {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
