"""`dvfl-tf export-tflite` and `dvfl-tf predict`: thin wrappers over dvfl_tf.export and dvfl_tf.runtime."""

import json
import os

import click

from dvfl_tf.cli.options import range_type
from dvfl_tf.core.checks import MODEL_SIZE
from dvfl_tf.core.export_modes import (
    CALIBRATED_MODES,
    DEFAULT_MODE,
    EDGETPU_MODE,
    FLAG_MODES,
    MODE_TABLE,
    STREAM_MODES,
    mode_flag,
)
from dvfl_tf.export.calibration import CLIP_COUNT, DEFAULT_CALIBRATION_CLIPS, DEFAULT_VERIFY_CLIPS
from dvfl_tf.runtime.preprocessing import TOP_K
from dvfl_tf.runtime.stream import STREAM_RANGES

# The modes that take --uint8-io and --keep-float (the rules of `MODE_TABLE`, which `ExportOptions` applies).
_INTEGER_IO_MODES = tuple(name for name in FLAG_MODES if MODE_TABLE[name].integer_io)
_KEEP_FLOAT_MODES = tuple(name for name in FLAG_MODES if MODE_TABLE[name].takes_keep_float)


def _flags(modes):
    return [mode_flag(name) for name in modes]


def _mode_flags(function):
    """One flag per export mode of `MODE_TABLE` (--int8, --fp16, ...), its help from the table."""
    for name in reversed(FLAG_MODES):
        function = click.option(mode_flag(name), name, is_flag=True, help=MODE_TABLE[name].help)(function)
    return function


def _mode(o):
    """The mode the flags choose (the default without one); --edgetpu implies its mode."""
    chosen = [name for name in FLAG_MODES if o[name]]
    if len(chosen) > 1:
        raise click.UsageError(f"Choose at most one of {', '.join(_flags(FLAG_MODES))}.")
    if o["edgetpu"]:
        if chosen and chosen != [EDGETPU_MODE]:
            raise click.UsageError(
                f"--edgetpu produces a full-integer model; it cannot be combined with {mode_flag(chosen[0])}."
            )
        return EDGETPU_MODE
    return chosen[0] if chosen else DEFAULT_MODE


@click.command("export-tflite")
@click.argument("model_path", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Build a preset with fresh weights instead of loading MODEL_PATH.")
@click.option("--num-classes", type=range_type(MODEL_SIZE), help="Classes for --preset.")
@click.option("--frames", type=range_type(MODEL_SIZE), help="Frames per clip for --preset (default: the preset's).")
@click.option("--image-size", type=range_type(MODEL_SIZE), help="Frame size for --preset (default: the preset's).")
@_mode_flags
@click.option(
    "--uint8-io",
    is_flag=True,
    help=f"With {' or '.join(_flags(_INTEGER_IO_MODES))}: uint8 input/output instead of int8.",
)
@click.option(
    "--edgetpu",
    is_flag=True,
    help="Edge TPU profile (implies --int8): Edge TPU ops only, then edgetpu_compiler if installed.",
)
@click.option(
    "--calibration-dataset",
    help="Dataset (hmdb51, ucf101, folder, list, synthetic, ...): calibrates on its train split, verifies on its test split.",
)
@click.option(
    "--data-root", type=click.Path(file_okay=False), help="The dataset's root folder (synthetic: default cache)."
)
@click.option(
    "--num-calibration",
    type=range_type(CLIP_COUNT),
    default=DEFAULT_CALIBRATION_CLIPS,
    show_default=True,
    help="Calibration clips (the calibrated modes: " + ", ".join(_flags(CALIBRATED_MODES)) + ").",
)
@click.option(
    "--num-verify",
    type=range_type(CLIP_COUNT),
    default=DEFAULT_VERIFY_CLIPS,
    show_default=True,
    help="Clips to compare TFLite with Keras on.",
)
@click.option(
    "--keep-float",
    multiple=True,
    help=f"With {' or '.join(_flags(_KEEP_FLOAT_MODES))}: op type (e.g. GELU) or tensor name to keep in float. "
    "Repeatable.",
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Class names (JSON list or one per line).",
)
@click.option(
    "--stream",
    is_flag=True,
    help="The frame-by-frame model of a causal classifier (one frame plus states in, logits plus states out).",
)
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The .tflite file to write.")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Write the verification report (JSON) here."
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files (never the input model).")
def export_tflite_command(model_path, preset, num_classes, frames, image_size, output, report_path, overwrite, **o):
    """Export MODEL_PATH (.keras) or --preset to TFLite, check it for mobile use and verify it against Keras."""
    mode = _mode(o)
    _check_combination(mode, o)
    if (model_path is None) == (preset is None):
        raise click.UsageError("Give either MODEL_PATH or --preset (exactly one).")
    if preset is not None and num_classes is None:
        raise click.UsageError("--preset needs --num-classes.")
    _check_outputs(output, report_path, overwrite, inputs=(model_path, o["labels_path"]))

    from dvfl_tf.export.export_report import format_summary
    from dvfl_tf.export.exporter import ExportOptions, export_model

    model = _model(model_path, preset, num_classes, frames, image_size, o["stream"])
    clips_and_names = _clips_and_names(model, mode, o)
    options = ExportOptions(
        mode=mode, uint8_io=o["uint8_io"], edgetpu=o["edgetpu"], keep_float=o["keep_float"], stream=o["stream"]
    )
    if o["stream"]:
        from dvfl_tf.export.stream_exporter import export_stream_model

        report = export_stream_model(model, output, options, **clips_and_names)
    else:
        report = export_model(model, output, options, **clips_and_names)
    if report_path is not None:
        report.write(report_path)
    click.echo(format_summary(report))


def _check_combination(mode, o):
    """Options that only make sense together (or not at all), refused before anything is loaded."""
    not_streamed = [name for name in FLAG_MODES if name not in STREAM_MODES]
    if o["stream"] and (o["edgetpu"] or o["uint8_io"] or o["keep_float"] or any(o[name] for name in not_streamed)):
        refused = ["--edgetpu", "--uint8-io", "--keep-float"] + _flags(not_streamed)
        raise click.UsageError(f"--stream cannot be combined with {', '.join(refused[:-1])} or {refused[-1]}.")
    if o["uint8_io"] and mode not in _INTEGER_IO_MODES:
        raise click.UsageError(f"--uint8-io needs {' or '.join(_flags(_INTEGER_IO_MODES))}.")
    if o["keep_float"] and mode not in _KEEP_FLOAT_MODES:
        raise click.UsageError(f"--keep-float needs {' or '.join(_flags(_KEEP_FLOAT_MODES))}.")


def _model(model_path, preset, num_classes, frames, image_size, stream):
    """The Keras model to export: the file, or the preset with fresh weights (causal for --stream)."""
    if preset is None:
        from dvfl_tf.models.model_loading import load_keras_model

        return load_keras_model(model_path)
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    # A stream model needs a causal backbone: --stream builds the preset causal.
    causal = {"causal": True} if stream else {}
    try:
        return build_model(preset, num_classes=num_classes, num_frames=frames, image_size=image_size, **causal)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _clips_and_names(model, mode, o):
    """Class names (--labels, else the calibration dataset's) and the calibration and verification clips."""
    from dvfl_tf.runtime.model_metadata import LabelsError, load_labels

    labels_path = o["labels_path"]
    class_names = load_labels(labels_path) if labels_path else None
    if class_names is not None:
        outputs = int(
            (model.single_clip_model() if hasattr(model, "single_clip_model") else model).outputs[0].shape[-1]
        )
        if len(class_names) != outputs:
            raise LabelsError(f"{labels_path}: {len(class_names)} class names for a model with {outputs} outputs")
    calibration_clips = verify_clips = calibration_source = None
    if o["calibration_dataset"]:
        calibration_clips, verify_clips, calibration_source, dataset_classes = _dataset_clips(
            model, o["calibration_dataset"], o["data_root"], o["num_calibration"], o["num_verify"]
        )
        class_names = class_names or dataset_classes
    elif mode in CALIBRATED_MODES:
        click.echo("No --calibration-dataset: calibrating on synthetic motion clips.", err=True)
    return {
        "class_names": class_names,
        "calibration_clips": calibration_clips,
        "calibration_source": calibration_source,
        "verify_clips": verify_clips,
    }


def _check_outputs(output, report_path, overwrite, inputs):
    """Refuses, before any conversion, outputs that would replace an input or an existing file."""
    from dvfl_tf.core.io_safety import OutputError, check_output
    from dvfl_tf.runtime.model_metadata import sidecar_path

    check_output(output, overwrite=overwrite, inputs=inputs, suffixes=(".tflite",), option="--output")
    check_output(sidecar_path(output), overwrite=overwrite, inputs=inputs, option="--output's sidecar")
    if report_path is not None:
        check_output(report_path, overwrite=overwrite, inputs=inputs, suffixes=(".json",), option="--report")
        for written in (output, sidecar_path(output)):
            if os.path.abspath(report_path) == os.path.abspath(written):
                raise OutputError(f"--report {report_path}: is also the file {written} written by this export")


def _dataset_clips(model, dataset, data_root, num_calibration, num_verify):
    """(calibration clips, labelled verification clips, description, class names) from a dataset."""
    from dvfl_tf.export.calibration import dataset_clips
    from dvfl_tf.models.clip_geometry import clip_geometry

    geometry = clip_geometry(model)
    num_frames, size = geometry.num_frames, geometry.height
    clips = dataset_clips(dataset, data_root, num_frames, size, num_calibration, num_verify)
    for message in clips.skipped:
        click.echo(f"skipped: {message}", err=True)
    return clips.calibration, clips.verify, clips.description, clips.class_names


@click.command("predict")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option(
    "--model", "model_path", required=True, type=click.Path(dir_okay=False), help="A .tflite or .keras model."
)
@click.option(
    "--labels", "labels_path", type=click.Path(exists=True, dir_okay=False), help="Class names overriding the model's."
)
@click.option("--top-k", type=range_type(TOP_K), default=5, show_default=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print [[label, probability], ...] as JSON (with --stream: one JSON line per step).",
)
@click.option(
    "--stream",
    is_flag=True,
    help="Run a stream .tflite (export-tflite --stream) frame by frame on VIDEO (a file, or a camera index), printing the action as frames arrive.",
)
@click.option(
    "--stride",
    type=range_type(STREAM_RANGES["stride"]),
    default=1,
    show_default=True,
    help="--stream: feed every N-th frame.",
)
@click.option(
    "--horizon",
    type=range_type(STREAM_RANGES["horizon"]),
    help="--stream: average over about the last N steps (default: every step so far).",
)
@click.option(
    "--max-frames", type=range_type(STREAM_RANGES["max_frames"]), help="--stream: stop after this many decoded frames."
)
def predict_command(video, model_path, labels_path, top_k, as_json, stream, stride, horizon, max_frames):
    """Classify VIDEO and print the top-k labels with probabilities."""
    if stream:
        _predict_stream(video, model_path, labels_path, as_json, stride, horizon, max_frames)
        return
    if not os.path.exists(video):
        raise click.UsageError(f"No such video file: {video}")
    if model_path.endswith(".tflite"):
        from dvfl_tf.runtime import TFLiteVideoClassifier

        classifier = TFLiteVideoClassifier(model_path, labels_path=labels_path)
    elif model_path.endswith(".keras"):
        from dvfl_tf.evaluation.keras_classifier import KerasVideoClassifier

        classifier = KerasVideoClassifier(model_path, labels_path=labels_path)
    else:
        raise click.UsageError(f"--model must be a .tflite or .keras file. Received: {model_path}")
    predictions = classifier.predict_video(video, top_k=top_k)
    if as_json:
        click.echo(json.dumps(predictions))
        return
    for label, probability in predictions:
        click.echo(f"{probability:7.2%}  {label}")


def _predict_stream(source, model_path, labels_path, as_json, stride, horizon, max_frames):
    from dvfl_tf.runtime.stream import NotAStreamModelError, TFLiteStreamClassifier, stream_predictions

    if not os.path.exists(model_path):
        raise click.UsageError(f"No such model file: {model_path}")
    if not model_path.endswith(".tflite"):
        raise click.UsageError(f"--stream needs a stream .tflite file (export-tflite --stream). Received: {model_path}")
    from dvfl_tf.core.errors import ModelFileError

    try:
        classifier = TFLiteStreamClassifier(model_path, labels_path=labels_path, horizon=horizon)
    except ModelFileError:
        raise  # a damaged file: the one line and status 1, as without --stream
    except (NotAStreamModelError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    steps = 0
    try:
        for step in stream_predictions(classifier, source, stride=stride, max_frames=max_frames):
            steps += 1
            label, probability = classifier.top_k(step["probabilities"], 1)[0]
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "frame": step["frame"],
                            "time_s": round(step["time_s"], 3),
                            "label": label,
                            "probability": probability,
                            "step_ms": round(step["step_ms"], 2),
                        }
                    )
                )
            else:
                click.echo(
                    f"frame {step['frame']:5d}  t={step['time_s']:7.2f}s  {label:<24s} {probability:6.1%}"
                    f"  ({step['step_ms']:.1f} ms)"
                )
    except (FileNotFoundError, OSError) as error:
        raise click.UsageError(str(error)) from None
    if steps == 0:
        raise click.ClickException(f"No prediction: {source} gave fewer frames than one tubelet.")
