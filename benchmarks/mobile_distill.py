"""vfl_net_mobile on the synthetic benchmark: distilled from the quickstart teacher vs trained alone, 3 seeds, + int8.

The teacher sees 8 frames of 64x64 (NUM_FRAMES, IMAGE_SIZE), and the
distiller feeds the same batch to teacher and student, so the student is the
mobile preset's architecture (every backbone argument of the preset) at the
teacher's input, 8 x 64 x 64, not at its native 160 px; the recipe and budget
are STUDENT_RECIPE's (12 epochs, AdamW, T = 1, alpha = 0.5). Each distilled
student is then exported to full-int8 TFLite (calibrated like
`dvfl-tf export-tflite --int8 --calibration-dataset synthetic`) and evaluated
on the synthetic test split: top-1 and int8-vs-float top-1 agreement.

    python -m benchmarks mobile-distill --teacher runs/quickstart/teacher/last.keras \
        --output runs/mobile_distill --seeds 0 1 2 [--only scratch|distilled]

Finished runs are reused (rerun with the same --output to resume); writes
`output/mobile_distill[_TAG][_T.._a..]_eEPOCHS.json` (one per setting).

`--student PRESET` (and `--backbone-overrides JSON`) trains another student
architecture with the same teacher, recipe and data: give it its own --output.
`--versus PRESET --versus-output DIR` also runs (or reuses) a second student's
setting and writes both, with the difference of their means, to
`output/compare_PRESET[_TAG][_T.._a..]_eEPOCHS.json`: the int8 preset against
`vfl_net_mobile` in one command,

    python -m benchmarks mobile-distill --student vfl_net_mobile_int8 --output runs/fp16_int8 \
        --versus vfl_net_mobile --versus-output runs/fp16 --teacher runs/fp16_teacher_e96/last.keras \
        --tag e96fp --temperature 4 --data-root runs/fine_pan16 --seeds 0 1 2

`--train-per-class K` is the few-labels setting (a target dataset far smaller
than the teacher's, as HMDB51 is against Kinetics-400): both students train
on the first K training videos of each class only (split files written under
`output`, read like HMDB51's), for as many steps as the full recipe takes on
all 24 (epochs and warm-up scaled by 24 / K), and are tested on the same 200
test clips; the teacher was trained on all 24.
"""

import argparse
import json
import os
import platform
import statistics
import time

from dvfl_tf.apps import quickstart

PRESET = "vfl_net_mobile"
FULL_TRAIN_PER_CLASS = 24  # the synthetic dataset's training videos per class (dvfl_tf.data.synthetic.DEFAULTS)


def setting_suffix(tag, distillation):
    """`_TAG` and, for a non-default temperature or alpha, `_T.._a..`: names a distilled run and its summary."""
    suffix = f"_{tag}" if tag else ""
    if distillation != quickstart.DISTILLATION:
        suffix += f"_T{distillation['temperature']:g}_a{distillation['alpha']:g}"
    return suffix


# The student recipe of the mobile records (benchmarks/results/mobile/): the quickstart student's of their
# time. Written out here, so that the quickstart's recipe can change without changing what these commands run.
STUDENT_RECIPE = {
    "epochs": 12,
    "optimizer": "adamw",
    "lr": 5e-4,
    "weight_decay": 0.05,
    "warmup_epochs": 2.0,
    "batch_size": 8,
}


def student_recipe(epochs=None, train_per_class=None):
    """STUDENT_RECIPE, with `epochs` (another budget) and a warm-up that fits in it.

    With `train_per_class` (fewer videos per epoch), epochs and warm-up are scaled by
    24 / train_per_class: the same number of steps as on the full training split.
    """
    recipe = dict(STUDENT_RECIPE)
    if epochs:
        recipe["epochs"] = epochs
        recipe["warmup_epochs"] = min(recipe["warmup_epochs"], epochs / 4)
    if train_per_class:
        scale = FULL_TRAIN_PER_CLASS / train_per_class
        recipe["epochs"] = round(recipe["epochs"] * scale)
        recipe["warmup_epochs"] = recipe["warmup_epochs"] * scale
    return recipe


def few_label_splits(output, train_per_class):
    """A split folder of the synthetic dataset keeping the first `train_per_class` training videos of each class.

    The other training videos become unused (tag 0), the test videos stay as they are. Every seed reads the
    same videos.
    """
    from dvfl_tf.data.synthetic import ensure_synthetic

    source = os.path.join(ensure_synthetic(), "testTrainMulti_7030_splits")  # the default dataset's splits
    folder = os.path.join(output, f"splits_train{train_per_class}")
    os.makedirs(folder, exist_ok=True)
    for name in sorted(os.listdir(source)):
        kept, lines = 0, []
        with open(os.path.join(source, name)) as handle:
            for line in handle:
                video, tag = line.split()
                if tag == "1":
                    kept += 1
                    tag = "1" if kept <= train_per_class else "0"
                lines.append(f"{video} {tag} \n")
        with open(os.path.join(folder, name), "w") as handle:
            handle.writelines(lines)
    return folder


# The clips of the mobile records: 8 frames of 64x64 with the quickstart's augmentation of their time (the
# quickstart now trains on 32x32), written out for the same reason as STUDENT_RECIPE.
NUM_FRAMES = 8
IMAGE_SIZE = 64
AUGMENT = {"flip": False, "crop_area": (0.4, 1.0), "color_jitter_prob": 0.5}


def data_options(output=None, train_per_class=None, data_root=None):
    """The synthetic dataset at NUM_FRAMES x IMAGE_SIZE; with `train_per_class`, on the few-label split folder;
    with `data_root`, another synthetic-format dataset (e.g. `python -m benchmarks fine-pan-data`'s)."""
    from dvfl_tf.data.data_options import DataOptions

    options = DataOptions(dataset="synthetic", num_frames=NUM_FRAMES, image_size=IMAGE_SIZE, augment=AUGMENT)
    options.data_root = data_root
    if train_per_class:
        options.split_dir = few_label_splits(output, train_per_class)
    return options


def run_student(
    output, seed, teacher=None, recipe=None, distillation=None, tag=None, options=None, student=PRESET, overrides=None
):
    """Run directory of the mobile student (distilled when `teacher` is given), trained if not finished.

    The scratch runs are shared by every teacher and setting in one `output`; a distilled run's folder
    names its `tag` (the teacher) and a non-default temperature and alpha. `student` + `overrides`: another
    architecture (experiments/mobile_sweep_top1.py: the sweep's candidates).
    """
    from dvfl_tf.training.workflows import distill, train

    distillation = distillation or quickstart.DISTILLATION
    kind = "distilled" + setting_suffix(tag, distillation) if teacher else "scratch"
    run = os.path.join(output, f"{kind}_seed{seed}")  # a finished run is not retrained (train_run resumes)
    recipe = recipe or STUDENT_RECIPE
    options = options or data_options()
    if teacher:
        config = quickstart._config(run, recipe, seed, **distillation)  # noqa: SLF001 (same recipe)
        distill(config, options, teacher=teacher, student=student, overrides=overrides, validate=False)
    else:
        config = quickstart._config(run, recipe, seed)  # noqa: SLF001
        train(config, options, model=student, overrides=overrides, validate=False)
    return run


def evaluate_with_int8(run, options=None):
    """{top1, int8_top1, int8_agreement} of a run's last.keras and its int8 TFLite (on `options`' data)."""
    keras_path = os.path.join(run, "last.keras")
    report = quickstart.evaluate_run(keras_path, options=options)
    tflite = os.path.join(run, "student_int8.tflite")
    if not os.path.exists(tflite):
        quickstart.export_int8_student(keras_path, tflite, options=options)
    int8_report = quickstart.evaluate_run(tflite, options=options)
    agreement = sum(a == b for a, b in zip(report["predictions"], int8_report["predictions"])) / len(
        report["predictions"]
    )
    return {"top1": report["top1"], "int8_top1": int8_report["top1"], "int8_agreement": agreement, "int8_file": tflite}


def _stats(values):
    return {
        "mean": statistics.mean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "values": values,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", required=True, help="the quickstart teacher's last.keras")
    parser.add_argument("--output", default="runs/mobile_distill")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="student budget in epochs (default: 12); use its own --output",
    )
    parser.add_argument("--temperature", type=float, default=None, help="default: the quickstart's")
    parser.add_argument(
        "--alpha", type=float, default=None, help="weight of the teacher's KL; default: the quickstart's"
    )
    parser.add_argument(
        "--train-per-class",
        type=int,
        default=None,
        help="few labels: the students train on the first K training videos of each class (of 24), "
        "for the same number of steps; use its own --output",
    )
    parser.add_argument(
        "--data-root",
        default=None,
        help="another synthetic-format dataset (python -m benchmarks fine-pan-data); default: the quickstart's",
    )
    parser.add_argument("--tag", default=None, help="names the teacher in the distilled runs' folders and the JSON")
    parser.add_argument("--student", default=PRESET, help="the students' preset; another one needs its own --output")
    parser.add_argument(
        "--backbone-overrides", type=json.loads, default=None, help="JSON backbone arguments of the students"
    )
    parser.add_argument(
        "--only",
        choices=["scratch", "distilled"],
        default=None,
        help="train only one side (e.g. the scratch runs while the teacher trains)",
    )
    parser.add_argument(
        "--versus",
        default=None,
        help="a second student preset trained and tested the same way (in --versus-output), compared in one JSON",
    )
    parser.add_argument("--versus-output", default=None, help="the --versus student's runs (default: OUTPUT_versus)")
    parser.add_argument(
        "--versus-overrides", type=json.loads, default=None, help="JSON backbone arguments of the --versus student"
    )
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["distilled", "scratch"]
    distillation = dict(quickstart.DISTILLATION)
    if args.temperature is not None:
        distillation["temperature"] = args.temperature
    if args.alpha is not None:
        distillation["alpha"] = args.alpha
    if "distilled" in kinds and not os.path.isfile(args.teacher):
        parser.error(f"--teacher: file not found: {args.teacher}")
    if args.train_per_class is not None and not 0 < args.train_per_class <= FULL_TRAIN_PER_CLASS:
        parser.error(f"--train-per-class: must be in 1..{FULL_TRAIN_PER_CLASS}. Received: {args.train_per_class}")
    if args.train_per_class and args.data_root:
        parser.error("--train-per-class applies to the default synthetic dataset, not to --data-root")
    if args.versus and args.only:
        parser.error("--versus compares whole settings: leave out --only")
    recipe = student_recipe(args.epochs, args.train_per_class)
    summary = run_setting(args, args.student, args.backbone_overrides, args.output, kinds, recipe, distillation)
    if args.versus:
        output = args.versus_output or f"{args.output.rstrip('/')}_versus"
        versus = run_setting(args, args.versus, args.versus_overrides, output, kinds, recipe, distillation)
        name = f"compare_{args.versus}{setting_suffix(args.tag, distillation)}_e{recipe['epochs']}.json"
        with open(os.path.join(args.output, name), "w") as f:
            json.dump(comparison(summary, versus), f, indent=2)
        print(f"wrote {os.path.join(args.output, name)}")


def comparison(summary, versus):
    """The two settings' summaries and what differs: mean top-1 (float and int8), the int8 agreement."""
    difference = {key: summary[key]["mean"] - versus[key]["mean"] for key in ("distilled", "scratch", "distilled_int8")}
    return {
        "student": summary["preset"],
        "versus": versus["preset"],
        "difference_of_means": difference,
        "distilled_within_1_point": abs(difference["distilled"]) <= 0.01,
        "int8_agreement_min": min(summary["int8_agreement"]["values"]),
        "summaries": {"student": summary, "versus": versus},
    }


def run_setting(args, student, overrides, output, kinds, recipe, distillation):
    """Trains (or reuses) and tests `student`'s runs in `output`; writes and returns the setting's summary."""
    start = time.time()
    options = data_options(output, args.train_per_class, args.data_root)
    test_options = data_options(data_root=args.data_root)  # every setting is tested on the full test split
    rows = {kind: [] for kind in kinds}
    for seed in args.seeds:
        for kind in kinds:
            run = run_student(
                output,
                seed,
                args.teacher if kind == "distilled" else None,
                recipe=recipe,
                distillation=distillation,
                tag=args.tag,
                options=options,
                student=student,
                overrides=overrides,
            )
            if kind == "distilled":
                row = {"seed": seed, **evaluate_with_int8(run, test_options)}
            else:
                report = quickstart.evaluate_run(os.path.join(run, "last.keras"), options=test_options)
                row = {"seed": seed, "top1": report["top1"]}
            rows[kind].append(row)
            print(student, kind, json.dumps(row), flush=True)
    if args.only:
        return None
    summary = {
        "preset": student,
        "backbone_overrides": overrides,
        "input": f"{NUM_FRAMES}x{IMAGE_SIZE}x{IMAGE_SIZE} (the teacher's)",
        "teacher": args.teacher,
        "teacher_top1": quickstart.evaluate_run(args.teacher, options=test_options)["top1"],
        "data_root": args.data_root,
        "distilled": _stats([row["top1"] for row in rows["distilled"]]),
        "scratch": _stats([row["top1"] for row in rows["scratch"]]),
        "distilled_int8": _stats([row["int8_top1"] for row in rows["distilled"]]),
        "int8_agreement": _stats([row["int8_agreement"] for row in rows["distilled"]]),
        "rows": rows,
        "recipe": {"student": recipe, "distillation": distillation},
        "train_per_class": args.train_per_class or FULL_TRAIN_PER_CLASS,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "seconds": round(time.time() - start, 1),
    }
    # One summary per setting: the scratch runs are shared in `output`, so several settings share a folder.
    name = f"mobile_distill{setting_suffix(args.tag, distillation)}_e{recipe['epochs']}.json"
    with open(os.path.join(output, name), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"{student}: teacher top-1 {summary['teacher_top1']:.3f}")
    for key in ("distilled", "scratch", "distilled_int8", "int8_agreement"):
        print(f"{key:<16} {summary[key]['mean']:.3f} +- {summary[key]['std']:.3f}  {summary[key]['values']}")
    return summary


if __name__ == "__main__":
    main()
