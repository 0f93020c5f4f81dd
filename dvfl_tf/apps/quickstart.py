"""The quickstart: teacher, distilled and scratch students on the synthetic dataset, in minutes on two CPU cores.

Small models (the recipe: dvfl_tf.apps.quickstart_recipe) on 8 frames of 32x32
so that the whole comparison runs in minutes on two CPU cores. The student is
trained twice with the same recipe and budget, with and without the teacher;
all models are evaluated on the synthetic test split (last epoch, no
checkpoint selection on the test set).
"""

import json
import os
import sys
import time

import keras
import tensorflow as tf

from dvfl_tf.apps.quickstart_recipe import (
    AUGMENT,
    DISTILLATION,
    IMAGE_SIZE,
    NUM_FRAMES,
    PRESET,
    STUDENT_OVERRIDES,
    STUDENT_RECIPE,
    TEACHER_OVERRIDES,
    TEACHER_RECIPE,
    recipe_description,
)
from dvfl_tf.data.data_options import DataOptions
from dvfl_tf.evaluation.evaluate import evaluate
from dvfl_tf.export import export_tflite
from dvfl_tf.export.calibration import dataset_clips
from dvfl_tf.models.model_loading import load_keras_model
from dvfl_tf.training.callbacks import write_json
from dvfl_tf.training.run import TrainConfig
from dvfl_tf.training.run_dir import claim_folder
from dvfl_tf.training.workflows import distill, train


def _data_options():
    return DataOptions(
        dataset="synthetic",
        num_frames=NUM_FRAMES,
        image_size=IMAGE_SIZE,
        augment=AUGMENT,
    )


def _config(output, recipe, seed, **extra):
    return TrainConfig(output=output, seed=seed, verbose=2, **recipe, **extra)


def train_teacher(output, seed=0, recipe=None, options=None):
    run = os.path.join(output, "teacher")
    train(
        _config(run, recipe or TEACHER_RECIPE, seed),
        options or _data_options(),
        model=PRESET,
        overrides=TEACHER_OVERRIDES,
        validate=False,
    )
    return os.path.join(run, "last.keras")


def train_students(output, teacher_path, seed=0, recipe=None, distillation=None, options=None):
    """(distilled run dir, scratch run dir): the same student and budget, with and without the teacher."""
    recipe = recipe or STUDENT_RECIPE
    options = options or _data_options()
    distilled = os.path.join(output, f"student_distilled_seed{seed}")
    distill(
        _config(distilled, recipe, seed, **(distillation or DISTILLATION)),
        options,
        teacher=teacher_path,
        student=PRESET,
        overrides=STUDENT_OVERRIDES,
        validate=False,
    )
    scratch = os.path.join(output, f"student_scratch_seed{seed}")
    train(_config(scratch, recipe, seed), options, model=PRESET, overrides=STUDENT_OVERRIDES, validate=False)
    return distilled, scratch


def evaluate_run(model_path, batch_size=16, options=None):
    """`evaluate` on the test split of `options` (default: the quickstart's data)."""
    return evaluate(
        model_path,
        options or _data_options(),
        batch_size=batch_size,
        output_dir=os.path.join(os.path.dirname(model_path), "evaluation"),
    )


def export_int8_student(model_path, output_path, num_calibration=64, options=None):
    """Exports the student to a full-integer int8 `.tflite`, calibrated on synthetic training clips.

    The same clips as `dvfl-tf export-tflite --int8 --calibration-dataset synthetic
    --num-calibration 64`: drawn at random over all classes of the train split
    (of `options`' dataset, default the quickstart's).
    """
    options = options or _data_options()
    clips = dataset_clips(
        options.dataset, options.data_root, options.num_frames, options.image_size, num_calibration, num_verify=8
    )
    export_tflite(
        load_keras_model(model_path),
        output_path,
        mode="int8",
        calibration_clips=clips.calibration,
        verify_clips=clips.verify,
        class_names=clips.class_names,
        calibration_source=clips.description,
    )
    return output_path


def make_deterministic(seed):
    """Same figures on every run on machines of one kind: seeds, deterministic kernels, one inter-op thread.

    The data pipeline is a pure function of the seed already (dvfl_tf.data.pipeline).
    Op determinism picks deterministic kernels (on CPU mainly the reductions and
    the scatter/segment ops of the backward pass). It was not enough on its own:
    two full quickstarts with TensorFlow's default inter-op pool (one thread per
    core) wrote the same teacher losses for 6 epochs, then differed in the 6th
    digit; the runs with one inter-op thread repeated (docs/training.md).
    Independent ops then run one after another (each still uses every core
    through the intra-op pool). The thread pool can only be set before
    TensorFlow starts its runtime, so call this first; neither setting can be
    undone in the same process. What it costs is measured in docs/training.md.
    """
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime has started: only a process started with one inter-op thread qualifies
        if tf.config.threading.get_inter_op_parallelism_threads() != 1:
            print(
                "Warning: TensorFlow was already running with several inter-op threads, so this run may differ "
                "from others in the last digits (set TF_NUM_INTEROP_THREADS=1 before the process starts).",
                file=sys.stderr,
            )
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def run_quickstart(
    output="runs/quickstart",
    seed=0,
    deterministic=True,
    teacher_recipe=None,
    student_recipe=None,
    data_options=None,
    num_calibration=64,
):
    """Runs the whole comparison; writes and returns `output/quickstart.json`.

    The recipes default to TEACHER_RECIPE / STUDENT_RECIPE (shorter ones serve
    benchmarks/quickstart_determinism.py), the data to the built-in synthetic
    motion dataset of 8 frames of 32x32 (`data_options`: a `DataOptions` with
    `num_frames` and `image_size` set), the int8 calibration to 64 training clips.
    """
    options = data_options or _data_options()
    start = time.time()
    claim_folder(output, earlier_output="quickstart.json")
    if deterministic:
        make_deterministic(seed)
    models = _train_models(output, seed, teacher_recipe, student_recipe, options)
    reports = _evaluate_models(output, models, options, num_calibration)
    summary = _summary(reports, seed, deterministic, teacher_recipe, student_recipe, options)
    summary["seconds"] = round(time.time() - start, 1)
    write_json(os.path.join(output, "quickstart.json"), summary)
    print(format_table(summary))
    print(f"Wrote {os.path.join(output, 'quickstart.json')} in {summary['seconds']:.0f} s")
    return summary


def _train_models(output, seed, teacher_recipe, student_recipe, options):
    """Steps 1 and 2: {"teacher", "student_distilled", "student_scratch"} -> their last.keras."""
    print(f"1/4 Teacher ({_describe(TEACHER_OVERRIDES)}) on the synthetic motion dataset")
    teacher = train_teacher(output, seed, recipe=teacher_recipe, options=options)
    print(f"2/4 Student ({_describe(STUDENT_OVERRIDES)}): distilled, then from scratch with the same budget")
    distilled, scratch = train_students(output, teacher, seed, recipe=student_recipe, options=options)
    return {
        "teacher": teacher,
        "student_distilled": os.path.join(distilled, "last.keras"),
        "student_scratch": os.path.join(scratch, "last.keras"),
    }


def _describe(overrides):
    return f"embed {overrides['embed_dim']}, depths {overrides['depths']}"


def _evaluate_models(output, models, options, num_calibration):
    """Steps 3 and 4: the evaluation report of each model and of the distilled student's int8 file."""
    print("3/4 Evaluating on the synthetic test split")
    reports = {name: evaluate_run(path, options=options) for name, path in models.items()}
    print("4/4 int8 TFLite export of the distilled student")
    tflite = export_int8_student(
        models["student_distilled"],
        os.path.join(output, "student_int8.tflite"),
        num_calibration=num_calibration,
        options=options,
    )
    reports["student_int8_tflite"] = evaluate_run(tflite, options=options)
    return reports


def _summary(reports, seed, deterministic, teacher_recipe, student_recipe, options):
    float_predictions = reports["student_distilled"]["predictions"]
    int8_predictions = reports["student_int8_tflite"]["predictions"]
    agreement = sum(a == b for a, b in zip(float_predictions, int8_predictions, strict=True)) / len(float_predictions)
    return {
        "accuracy": {name: report["top1"] for name, report in reports.items()},
        "top5": {name: report["top5"] for name, report in reports.items()},
        "int8_top1_agreement": agreement,
        "seed": seed,
        "deterministic": deterministic,
        **recipe_description(teacher_recipe, student_recipe, options.num_frames, options.image_size),
        "test_videos": reports["teacher"]["videos"],
    }


def format_table(summary):
    lines = ["", f"{'model':<22}{'top-1':>8}", "-" * 30]
    for name, value in summary["accuracy"].items():
        lines.append(f"{name:<22}{'skipped' if value is None else f'{value:.3f}':>8}")
    if summary.get("int8_top1_agreement") is not None:
        lines.append(f"{'int8 vs float agree':<22}{summary['int8_top1_agreement']:>8.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(run_quickstart()["accuracy"], indent=2))
