"""Writes the float32, int8 and int8_mixed files that `dvfl-tf benchmark --int8-speedup` compares (docs/benchmark.md).

    python benchmarks/export_int8_models.py --preset vfl_net_mobile --output runs/int8_models
    python benchmarks/export_int8_models.py --preset vfl_net_nano --output runs/int8_models --calibration-clips 8

Fresh weights, except every LayerNorm's gamma ~ U(0.5, 1.5) and beta ~ N(0, 0.2)
(seeded): with a fresh LayerNorm (beta = 0) each token's mean is exactly zero,
its int8 scale collapses and XNNPACK refuses the int8 SUB `x - mean`, which a
trained model does not show. Latency depends on the weights only through such
calibrated scales. Calibration on synthetic motion clips.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = ("float32", "int8", "int8_mixed")


def trained_like_norms(model, seed=0):
    """Sets every LayerNorm's gamma and beta to seeded values away from 1 and 0."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for weight in model.weights:
        if weight.path.endswith("gamma") and len(weight.shape) == 1:
            weight.assign(rng.uniform(0.5, 1.5, weight.shape).astype("float32"))
        elif weight.path.endswith("beta") and len(weight.shape) == 1:
            weight.assign(rng.normal(0, 0.2, weight.shape).astype("float32"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="vfl_net_mobile")
    parser.add_argument("--output", default="runs/int8_models")
    parser.add_argument("--num-classes", type=int, default=51)
    parser.add_argument("--calibration-clips", type=int, default=32)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    import keras

    from dvfl_tf.export import export_tflite
    from dvfl_tf.export.calibration import synthetic_motion_clips
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    os.makedirs(args.output, exist_ok=True)
    keras.utils.set_random_seed(0)
    model = build_model(args.preset, num_classes=args.num_classes)
    trained_like_norms(model)
    calibration = synthetic_motion_clips(args.calibration_clips, model.num_frames, model.frame_shape)
    for mode in args.modes.split(","):
        path = os.path.join(args.output, f"{args.preset}_{mode}.tflite")
        start = time.time()
        report = export_tflite(model, path, mode=mode, calibration_clips=calibration)
        print(
            f"{path}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - start:.0f} s, "
            f"top-1 agreement {report.top1_agreement:.3f} on {report.num_clips} clips",
            flush=True,
        )


if __name__ == "__main__":
    main()
