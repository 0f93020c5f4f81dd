"""Does full-integer int8 keep a trained student's answers? Measured on the synthetic motion dataset.

1. Takes a trained student (`--model x.keras`) or, when none is given, trains a
   small one with `keras.Model.fit` (vfl_net_nano depths, narrower, 8x64x64).
2. Exports float32 and int8 (calibrated on train clips through the evaluation
   preprocessing) and runs both on every test clip with the LiteRT interpreter.
3. Per-part study: the per-layer int8 error report grouped into LayerNorm,
   GELU, the three-way modulator product, conv, dense; then each part kept in
   float (selective quantization) to see whether it is the one losing accuracy;
   and the Edge TPU variant (tanh-form GELU).

    PYTHONPATH=. python experiments/int8_synthetic_study.py --output runs/int8_study
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def load_split(records, num_frames, image_size, training=False, rng=None):
    from dvfl_tf.data.clip_views import center_crop_clip
    from dvfl_tf.data.frame_sampling import segment_indices
    from dvfl_tf.data.video_io import read_video
    from dvfl_tf.runtime.preprocessing import short_side_for

    clips, labels = [], []
    for path, label in records:
        frames = read_video(path, short_side=short_side_for(image_size))
        indices = segment_indices(len(frames), num_frames, training=training, rng=rng)
        clips.append(center_crop_clip(frames[indices], image_size, short_side=short_side_for(image_size)))
        labels.append(label)
    return np.stack(clips), np.asarray(labels)


def train_student(train_records, num_classes, args):
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    keras.utils.set_random_seed(0)
    model = build_model(
        "vfl_net_nano",
        num_classes=num_classes,
        num_frames=args.frames,
        image_size=args.image_size,
        embed_dim=args.embed_dim,
        drop_path_rate=0.0,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(args.learning_rate, weight_decay=0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(0)
    for epoch in range(args.epochs):
        # Fresh random segment offsets every epoch: cheap temporal augmentation.
        x, y = load_split(train_records, args.frames, args.image_size, training=True, rng=rng)
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=True)
        print(
            f"epoch {epoch + 1}: loss {history.history['loss'][0]:.3f} acc {history.history['accuracy'][0]:.3f}",
            flush=True,
        )
    return model


def evaluate_tflite(path, clips):
    from dvfl_tf.export.verification import tflite_logits

    with open(path, "rb") as f:
        return tflite_logits(f.read(), clips)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="runs/int8_study")
    parser.add_argument("--data-root", default=None, help="Synthetic dataset root (default: generated into the cache).")
    parser.add_argument("--model", default=None, help="A trained .keras student; trained here when absent.")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--embed-dim", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--num-calibration", type=int, default=64)
    parser.add_argument("--skip-parts", action="store_true", help="Only float32 vs int8.")
    args = parser.parse_args()

    from dvfl_tf.data.datasets import load_index
    from dvfl_tf.export import export_tflite
    from dvfl_tf.export.quantization_debug import layer_error_report
    from dvfl_tf.export.verification import agreement, keras_logits

    os.makedirs(args.output, exist_ok=True)
    index = load_index("synthetic", args.data_root, split=1)
    train = [(r.path, r.label) for r in index.records("train")]
    test = [(r.path, r.label) for r in index.records("test")]
    print(f"synthetic dataset: {index.num_classes} classes, {len(train)} train, {len(test)} test videos")

    start = time.perf_counter()
    if args.model:
        from dvfl_tf.models.model_loading import load_keras_model

        model = load_keras_model(args.model)
        student = args.model
    else:
        model = train_student(train, index.num_classes, args)
        model.save(os.path.join(args.output, "student.keras"))
        student = f"trained here: vfl_net_nano depths, embed_dim {args.embed_dim}, {args.epochs} epochs of keras fit"
    train_seconds = time.perf_counter() - start
    frames, size = model.num_frames, model.frame_shape[0]
    test_x, test_y = load_split(test, frames, size)
    calib_x, _ = load_split(train[: args.num_calibration], frames, size)
    graph = model.single_clip_model()
    keras_test = keras_logits(graph, test_x)

    results = {
        "student": student,
        "train_seconds": round(train_seconds),
        "num_test_clips": len(test_x),
        "num_calibration_clips": len(calib_x),
        "keras_accuracy": float(np.mean(keras_test.argmax(-1) == test_y)),
    }
    # Held-out train clips (not used for calibration): inputs the student fits,
    # where its margins are large, unlike test clips of a student that overfits.
    seen_x, seen_y = load_split(train[args.num_calibration : args.num_calibration + 80], frames, size)
    keras_seen = keras_logits(graph, seen_x)
    results["keras_accuracy_train_heldout"] = float(np.mean(keras_seen.argmax(-1) == seen_y))
    variants = {"float32": {"mode": "float32"}, "int8": {"mode": "int8"}}
    if not args.skip_parts:
        variants["int16x8"] = {"mode": "int16x8"}
        variants["dynamic_range"] = {"mode": "dynamic_range"}
        variants["fp16"] = {"mode": "fp16"}
        for part in ("layer_norm", "gelu", "modulator_product"):
            variants[f"int8_keep_{part}_float"] = {"mode": "int8", "keep_float": [part]}
        variants["int8_keep_layer_norm_and_product_float"] = {
            "mode": "int8",
            "keep_float": ["layer_norm", "modulator_product"],
        }
        variants["int8_edgetpu"] = {"mode": "int8", "edgetpu": True}
    float_tflite = None
    for name, options in variants.items():
        path = os.path.join(args.output, f"student_{name}.tflite")
        report = export_tflite(
            model,
            path,
            calibration_clips=calib_x if options["mode"] == "int8" else None,
            calibration_source=f"{len(calib_x)} synthetic train clips",
            class_names=index.class_names,
            verify_clips=list(test_x[:4]),
            **options,
        )
        logits = evaluate_tflite(path, test_x)
        if name == "float32":
            float_tflite = logits
        versus_float = agreement(float_tflite, logits, test_y)
        versus_keras_seen = agreement(keras_seen, evaluate_tflite(path, seen_x), seen_y)
        results[name] = {
            "file_size_bytes": report.file_size_bytes,
            "float_ops": len(report.float_ops),
            "latency_ms": report.latency_ms,
            "accuracy": versus_float["tflite_accuracy"],
            "float_tflite_accuracy": versus_float["keras_accuracy"],
            "top1_agreement_with_float": versus_float["top1_agreement"],
            "max_abs_logit_diff_vs_float": versus_float["max_abs_logit_diff"],
            "mean_abs_logit_diff_vs_float": versus_float["mean_abs_logit_diff"],
            "train_heldout_accuracy": versus_keras_seen["tflite_accuracy"],
            "train_heldout_top1_agreement_with_keras": versus_keras_seen["top1_agreement"],
        }
        print(name, json.dumps(results[name]), flush=True)
    if not args.skip_parts:
        errors = layer_error_report(graph, calib_x[:16], debug_clips=test_x[:16])
        results["layer_error_by_part"] = errors["parts"]
        results["worst_layers"] = [
            {k: layer[k] for k in ("op", "tensor", "part", "rmse_over_scale", "max_abs_error")}
            for layer in errors["worst"]
        ]
    with open(os.path.join(args.output, "int8_study.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps({k: v for k, v in results.items() if k != "worst_layers"}, indent=2))


if __name__ == "__main__":
    main()
