"""Streaming (causal) VFL-Net: int8 vs float stream agreement on a distilled student, and per-frame latency.

accuracy: distils the quickstart's student, built causal, from the ordinary
(non-causal) quickstart teacher with the quickstart's recipe; evaluates the
causal clip model on the synthetic test split; exports its stream model in
float32 and int8 (calibrated by streaming 64 training clips); streams every
test clip (the evaluation clip, a frame per step) through both files and
reports top-1 of each and their top-1 agreement at the last frame.

    python -m benchmarks stream accuracy --teacher runs/quickstart/teacher/last.keras \\
        --student vfl_net_mobile --output runs/stream_student

latency: the same architecture as a clip model (ordinary) and as a stream
model (causal), with the same weights (a trained student's with --weights),
exported to float32 and int8 TFLite, and timed with any --compare files
(MoViNet-A0 stream) round-robin in one process (XNNPACK, medians): per clip
vs per streamed frame.

    python -m benchmarks stream latency --threads 2 --runs 60 --output runs/stream_latency --unfolded \\
        --weights runs/stream_student/causal_vfl_net_mobile_student_seed0_e12/last.keras \\
        --compare runs/movinet/movinet_a0_{stream_160,stream_172,base_8x160,base_8x172}_float32.tflite

`--unfolded` adds the clip and stream files exported without the input-normalization fold
(docs/export.md); the MoViNet-A0 files come from `benchmarks/movinet/export_movinet.py --sizes 172 160
--modes float32` in the MoViNet virtualenv (`make -C benchmarks/movinet venv`).

Both print a table and write a JSON of the figures.
"""

import argparse
import contextlib
import json
import os
import platform
import time

import numpy as np


def _machine():
    from dvfl_tf.latency.cpu_features import host_cpu_features

    return {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "cpu": host_cpu_features(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def accuracy(args):
    from benchmarks.mobile_distill import STUDENT_RECIPE
    from dvfl_tf.apps import quickstart
    from dvfl_tf.export.calibration import clips_from_videos, dataset_clips, dataset_split
    from dvfl_tf.export.stream_exporter import export_stream_tflite
    from dvfl_tf.models.model_loading import load_keras_model
    from dvfl_tf.runtime import TFLiteStreamClassifier
    from dvfl_tf.training.workflows import distill

    start = time.time()
    recipe = {**STUDENT_RECIPE, **({"epochs": args.epochs} if args.epochs else {})}
    if recipe["epochs"] < recipe["warmup_epochs"] * 2:
        recipe["warmup_epochs"] = recipe["epochs"] / 4
    # "quickstart": the quickstart's student (dvfl_tf.apps.quickstart_recipe); or a preset with every
    # backbone argument its own (e.g. vfl_net_mobile), at the teacher's input.
    preset, overrides = (
        (quickstart.PRESET, dict(quickstart.STUDENT_OVERRIDES)) if args.student == "quickstart" else (args.student, {})
    )
    tag = "" if args.student == "quickstart" else f"{args.student}_"
    run = os.path.join(args.output, f"causal_{tag}student_seed{args.seed}_e{recipe['epochs']}")
    config = quickstart._config(run, recipe, args.seed, **quickstart.DISTILLATION)
    distill(
        config,
        quickstart._data_options(),
        teacher=args.teacher,
        student=preset,
        overrides={**overrides, "causal": True},
        validate=False,
    )
    student_path = os.path.join(run, "last.keras")
    keras_report = quickstart.evaluate_run(student_path)

    frames, size = quickstart.NUM_FRAMES, quickstart.IMAGE_SIZE
    options = quickstart._data_options()
    calibration = dataset_clips(options.dataset, options.data_root, frames, size, args.num_calibration, num_verify=8)
    student = load_keras_model(student_path)
    files, reports = {}, {}
    for mode in ("float32", "int8"):
        files[mode] = os.path.join(run, f"stream_{mode}.tflite")
        reports[mode] = export_stream_tflite(
            student,
            files[mode],
            mode=mode,
            calibration_clips=calibration.calibration,
            calibration_source=calibration.description,
            class_names=calibration.class_names,
            verify_clips=calibration.verify,
        )

    test, _, _ = dataset_split(options.dataset, options.data_root, "test")
    clips, labels, _ = clips_from_videos(test, frames, size)
    streamed = {}
    for mode, path in files.items():
        classifier = TFLiteStreamClassifier(path)
        streamed[mode] = np.stack([classifier.stream_clip_logits(clip) for clip in clips])  # (clips, steps, classes)
    labels = np.asarray(labels)
    last = {mode: logits[:, -1].argmax(-1) for mode, logits in streamed.items()}
    per_step_agreement = (streamed["float32"].argmax(-1) == streamed["int8"].argmax(-1)).mean(0)
    result = {
        "teacher": args.teacher,
        "student": {"preset": preset, **overrides, "causal": True},
        "student_run": run,
        "recipe": recipe,
        "distillation": quickstart.DISTILLATION,
        "seed": args.seed,
        "test_clips": int(len(clips)),
        "causal_clip_top1_keras": keras_report["top1"],
        "stream_float32_top1_last_frame": float(np.mean(last["float32"] == labels)),
        "stream_int8_top1_last_frame": float(np.mean(last["int8"] == labels)),
        "int8_vs_float_agreement_last_frame": float(np.mean(last["float32"] == last["int8"])),
        "int8_vs_float_agreement_per_step": [float(a) for a in per_step_agreement],
        "int8_vs_float_mean_abs_logit_diff": float(np.abs(streamed["float32"] - streamed["int8"]).mean()),
        "stream_int8_fully_integer": reports["int8"].fully_integer,
        "seconds": round(time.time() - start, 1),
        **_machine(),
    }
    _write(result, os.path.join(run, "stream_accuracy.json"))
    print(f"causal student (Keras clip) top-1 {result['causal_clip_top1_keras']:.3f} on {len(clips)} test clips")
    print(
        f"stream float32 top-1 at the last frame {result['stream_float32_top1_last_frame']:.3f}, "
        f"int8 {result['stream_int8_top1_last_frame']:.3f}"
    )
    print(
        f"int8 vs float stream top-1 agreement at the last frame {result['int8_vs_float_agreement_last_frame']:.3f}; "
        f"per step {', '.join(f'{a:.3f}' for a in per_step_agreement)}"
    )


def _architecture(args):
    from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, preset_backbone_config

    if args.preset not in PRESETS:
        raise SystemExit(f"--preset must be one of {sorted(PRESETS)}. Received: {args.preset!r}")
    return args.preset, preset_backbone_config(args.preset, image_size=args.image_size)


def _latency_models(args, config):
    """{causal: classifier}: the clip model (ordinary) and the stream model's causal twin, same weights."""
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

    keras.utils.set_random_seed(0)
    trained = None
    if args.weights:
        from dvfl_tf.models.model_loading import load_keras_model

        trained = load_keras_model(args.weights)
    num_classes = trained.head.units if trained is not None and hasattr(trained.head, "units") else args.num_classes
    models = {}
    for causal in (False, True):
        model = VideoFocalNetClassifier(
            VideoFocalNetBackbone(**config, causal=causal, name="backbone"),
            num_classes=num_classes,
            name="stream" if causal else "clip",
        )
        if trained is not None:
            # No position embeddings: a student trained at 64 px has the same weights at 160 px.
            model.set_weights(trained.get_weights())
        else:
            from benchmarks.mobile_sweep import _trained_like_layer_norms

            _trained_like_layer_norms(model)
        models[causal] = model
    return models


def _without_input_fold():
    """The exporters with the input-normalization fold turned off, in this process only: what the fold saves."""
    from unittest import mock

    from dvfl_tf.export import exporter, stream_exporter

    stack = contextlib.ExitStack()
    for module in (exporter, stream_exporter):
        stack.enter_context(mock.patch.object(module, "fold_input_normalization", lambda model: model))
    return stack


def latency(args):
    from benchmarks.round_robin import format_rows, time_round_robin
    from dvfl_tf.export import export_tflite
    from dvfl_tf.export.calibration import synthetic_motion_clips
    from dvfl_tf.export.stream_exporter import export_stream_tflite

    name, config = _architecture(args)
    os.makedirs(args.output, exist_ok=True)
    models = None
    size = config["image_size"]
    calibration = synthetic_motion_clips(args.num_calibration, config["num_frames"], (size, size))
    verify = synthetic_motion_clips(2, config["num_frames"], (size, size), seed=1)
    paths = {}
    variants = [("", contextlib.nullcontext)] + ([("unfolded_", _without_input_fold)] if args.unfolded else [])
    for prefix, context in variants:
        for mode in ("float32", "int8"):
            for kind, exporter in (("clip", export_tflite), ("stream", export_stream_tflite)):
                path = paths[(prefix + kind, mode)] = os.path.join(args.output, f"{prefix}{kind}_{mode}.tflite")
                if os.path.exists(path):  # reused: delete the output folder to export again
                    continue
                models = models or _latency_models(args, config)
                with context():
                    exporter(
                        models[kind == "stream"], path, mode=mode, calibration_clips=calibration, verify_clips=verify
                    )
    others = [path for path in args.compare if os.path.isfile(path)]
    missing = sorted(set(args.compare) - set(others))
    records, header = time_round_robin(list(paths.values()) + others, args.threads, args.runs, warmup=3)
    by_name = {r["model"]: r for r in records}
    rows = []
    for mode in ("float32", "int8"):
        clip, stream = by_name[f"clip_{mode}.tflite"], by_name[f"stream_{mode}.tflite"]
        rows.append(
            {
                "mode": mode,
                "clip_ms": clip["median_ms"],
                "stream_step_ms": stream["median_ms"],
                "stream_per_frame_ms": stream["ms_per_frame"],
                "frames_per_step": stream["frames_per_invoke"],
                "per_frame_over_clip": stream["ms_per_frame"] / clip["median_ms"],
                "step_over_clip": stream["median_ms"] / clip["median_ms"],
            }
        )
    ours = by_name["stream_int8.tflite"]["ms_per_frame"]
    comparisons = [
        {
            "model": r["model"],
            "ms_per_frame": r["ms_per_frame"],
            "our_int8_stream_frame_over_theirs": ours / r["ms_per_frame"] if r["ms_per_frame"] else None,
        }
        for r in records
        if r["model"] in {os.path.basename(p) for p in others}
    ]
    result = {
        "architecture": name,
        "config": config,
        "weights": args.weights,
        "threads": args.threads,
        "runs": args.runs,
        "header": header,
        "records": records,
        "rows": rows,
        "compare": comparisons,
        "compare_missing": missing,
        **_machine(),
    }
    _write(result, os.path.join(args.output, "stream_latency.json"))
    print(
        f"{name}: {config['num_frames']} frames of {size}x{size}, tubelet {config['tubelet_size']}, "
        f"weights {args.weights or 'fresh (trained-like LayerNorms)'}"
    )
    print(format_rows(records, header))
    print(f"{'mode':<9}{'clip ms':>9}{'step ms':>9}{'frame ms':>10}{'frame/clip':>12}{'step/clip':>11}")
    for row in rows:
        print(
            f"{row['mode']:<9}{row['clip_ms']:>9.2f}{row['stream_step_ms']:>9.2f}{row['stream_per_frame_ms']:>10.2f}"
            f"{row['per_frame_over_clip']:>12.3f}{row['step_over_clip']:>11.3f}"
        )
    for row in comparisons:
        print(f"our int8 stream frame / {row['model']} frame: {row['our_int8_stream_frame_over_theirs']:.3f}")
    for path in missing:
        print(f"not timed (no such file): {path}")


def _write(result, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2, default=float)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    acc = commands.add_parser("accuracy", help="int8 vs float stream agreement on a distilled causal student")
    acc.add_argument("--teacher", required=True, help="The quickstart teacher (.keras).")
    acc.add_argument("--output", default="runs/stream_student")
    acc.add_argument("--seed", type=int, default=0)
    acc.add_argument("--num-calibration", type=int, default=64)
    acc.add_argument("--epochs", type=int, default=None, help="Distillation epochs (default: the quickstart's 12).")
    acc.add_argument(
        "--student",
        default="quickstart",
        help="'quickstart' (the quickstart's student) or a preset name, e.g. vfl_net_mobile.",
    )
    lat = commands.add_parser("latency", help="clip vs stream latency, float32 and int8, one run")
    lat.add_argument("--preset", default="vfl_net_mobile")
    lat.add_argument("--image-size", type=int, default=None)
    lat.add_argument("--threads", type=int, default=2)
    lat.add_argument("--runs", type=int, default=30)
    lat.add_argument("--num-classes", type=int, default=51)
    lat.add_argument("--num-calibration", type=int, default=8)
    lat.add_argument("--output", default="runs/stream_latency")
    lat.add_argument(
        "--weights",
        default=None,
        help="A trained causal student (.keras) whose weights both models take (else fresh weights).",
    )
    lat.add_argument(
        "--unfolded",
        action="store_true",
        help="Also export and time the four files without the input-normalization fold (unfolded_*.tflite).",
    )
    lat.add_argument(
        "--compare",
        nargs="*",
        default=[],
        help="Other .tflite files timed in the same round-robin, e.g. MoViNet-A0 stream files.",
    )
    args = parser.parse_args()
    accuracy(args) if args.command == "accuracy" else latency(args)


if __name__ == "__main__":
    main()
