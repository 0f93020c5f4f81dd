"""Full-size export check: vfl_net_nano (8x224x224, 51 classes, random init) to TFLite.

Prints each export's summary (ops, size, float islands, agreement with
Keras, median invoke latency) and writes the reports as JSON.

    flock /tmp/dvfl-cpu.lock python benchmarks/export_benchmark.py --output runs/export_benchmark
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/export_benchmark")
    parser.add_argument("--preset", default="vfl_net_nano")
    parser.add_argument("--num-classes", type=int, default=51)
    parser.add_argument(
        "--modes", nargs="+", default=["float32", "int8"], help="float32 int8 int16x8 fp16 dynamic_range edgetpu"
    )
    parser.add_argument("--num-calibration", type=int, default=16)
    parser.add_argument("--num-verify", type=int, default=8)
    args = parser.parse_args()

    import keras

    from dvfl_tf.export import export_tflite, format_summary
    from dvfl_tf.export.calibration import synthetic_motion_clips
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    keras.utils.set_random_seed(0)
    model = build_model(args.preset, num_classes=args.num_classes)
    frames, size = model.num_frames, model.frame_shape[0]
    calibration = synthetic_motion_clips(args.num_calibration, frames, size, seed=0)
    verify = synthetic_motion_clips(args.num_verify, frames, size, seed=1)
    os.makedirs(args.output, exist_ok=True)
    for name in args.modes:
        mode = "int8" if name == "edgetpu" else name
        start = time.perf_counter()
        report = export_tflite(
            model,
            os.path.join(args.output, f"{args.preset}_{name}.tflite"),
            mode=mode,
            edgetpu=name == "edgetpu",
            calibration_clips=calibration if mode in ("int8", "int16x8") else None,
            calibration_source=f"{len(calibration)} synthetic motion clips",
            verify_clips=verify,
            report_path=os.path.join(args.output, f"{args.preset}_{name}.json"),
        )
        print(format_summary(report))
        print(f"  export took {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
