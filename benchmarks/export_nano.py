"""Writes the vfl_net_nano models benchmarked in benchmarks/README.md (fresh weights: latency does not depend on them).

    python benchmarks/export_nano.py --output runs/benchmark_models

Writes vfl_net_nano.keras and vfl_net_nano_{float32,fp16,dynamic_range,int8}.tflite
(8 frames of 224x224, 400 classes). Uses `dvfl_tf.export.export_tflite` when
the package has it, else the TFLite converter with the same settings.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = ("float32", "fp16", "dynamic_range", "int8")


def _calibration_clips(num_frames, size, count=3, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield [rng.uniform(0, 255, (num_frames, size, size, 3)).astype("float32")]


def _convert(clip_model, mode, path, num_frames, size):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(clip_model)
    if mode != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        converter.representative_dataset = lambda: _calibration_clips(num_frames, size)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with open(path, "wb") as f:
        f.write(converter.convert())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/benchmark_models")
    parser.add_argument("--preset", default="vfl_net_nano")
    parser.add_argument("--num-classes", type=int, default=400)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    os.makedirs(args.output, exist_ok=True)
    model = build_model(args.preset, num_classes=args.num_classes)
    model.save(os.path.join(args.output, f"{args.preset}.keras"))
    size, num_frames = model.frame_shape[0], model.num_frames
    try:
        from dvfl_tf.export import export_tflite
    except ImportError:
        export_tflite = None
    for mode in args.modes.split(","):
        path = os.path.join(args.output, f"{args.preset}_{mode}.tflite")
        start = time.time()
        if export_tflite is not None:
            export_tflite(model, path, mode=mode)
        else:
            _convert(model.single_clip_model(), mode, path, num_frames, size)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
