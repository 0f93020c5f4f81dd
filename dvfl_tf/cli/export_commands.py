"""`dvfl-tf export-tflite` and `dvfl-tf predict`: thin wrappers over dvfl_tf.export and dvfl_tf.runtime."""

import json
import os

import click


def _mode(int8, fp16, dynamic_range, int16x8, edgetpu):
    flags = (("int8", int8), ("fp16", fp16), ("dynamic_range", dynamic_range), ("int16x8", int16x8))
    chosen = [name for name, flag in flags if flag]
    if len(chosen) > 1:
        raise click.UsageError("Choose at most one of --int8, --fp16, --dynamic-range, --int16x8.")
    if edgetpu:
        if chosen and chosen != ["int8"]:
            raise click.UsageError("--edgetpu produces a full-integer model; it cannot be combined with --fp16/--dynamic-range.")
        return "int8"
    return chosen[0] if chosen else "float32"


@click.command("export-tflite")
@click.argument("model_path", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", help="Build a preset with fresh weights instead of loading MODEL_PATH.")
@click.option("--num-classes", type=int, help="Classes for --preset.")
@click.option("--frames", type=int, help="Frames per clip for --preset (default: the preset's).")
@click.option("--image-size", type=int, help="Frame size for --preset (default: the preset's).")
@click.option("--int8", is_flag=True, help="Full-integer: int8 weights, activations, input and output.")
@click.option("--fp16", is_flag=True, help="float16 weights.")
@click.option("--dynamic-range", is_flag=True, help="int8 weights, float activations.")
@click.option("--int16x8", is_flag=True, help="int16 activations, int8 weights, float I/O (CPU): when int8 activations lose accuracy.")
@click.option("--uint8-io", is_flag=True, help="With --int8: uint8 input/output instead of int8.")
@click.option("--edgetpu", is_flag=True, help="Edge TPU profile (implies --int8): Edge TPU ops only, then edgetpu_compiler if installed.")
@click.option("--calibration-dataset", help="Dataset (hmdb51, ucf101, folder, list, synthetic, ...): calibrates on its train split, verifies on its test split.")
@click.option("--data-root", type=click.Path(file_okay=False), help="The dataset's root folder (synthetic: default cache).")
@click.option("--num-calibration", type=int, default=32, show_default=True, help="Calibration clips (int8).")
@click.option("--num-verify", type=int, default=8, show_default=True, help="Clips to compare TFLite with Keras on.")
@click.option("--keep-float", multiple=True, help="With --int8: op type (e.g. GELU) or tensor name to keep in float. Repeatable.")
@click.option("--labels", "labels_path", type=click.Path(exists=True, dir_okay=False), help="Class names (JSON list or one per line).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The .tflite file to write.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write the verification report (JSON) here.")
def export_tflite_command(
    model_path, preset, num_classes, frames, image_size, int8, fp16, dynamic_range, int16x8, uint8_io, edgetpu,
    calibration_dataset, data_root, num_calibration, num_verify, keep_float, labels_path, output, report_path,
):
    """Export MODEL_PATH (.keras) or --preset to TFLite, check it for mobile use and verify it against Keras."""
    mode = _mode(int8, fp16, dynamic_range, int16x8, edgetpu)
    if uint8_io and mode != "int8":
        raise click.UsageError("--uint8-io needs --int8.")
    if keep_float and mode != "int8":
        raise click.UsageError("--keep-float needs --int8.")
    if (model_path is None) == (preset is None):
        raise click.UsageError("Give either MODEL_PATH or --preset (exactly one).")
    if preset is not None and num_classes is None:
        raise click.UsageError("--preset needs --num-classes.")

    from dvfl_tf.export.converter import ConversionError
    from dvfl_tf.export.exporter import export_tflite, format_summary
    from dvfl_tf.export.tflite_graph import ExportRefusedError
    from dvfl_tf.runtime.model_metadata import load_labels

    if preset is not None:
        from dvfl_tf.models.video_focalnet.video_focalnet_presets import build_model

        try:
            model = build_model(preset, num_classes=num_classes, num_frames=frames, image_size=image_size)
        except ValueError as error:
            raise click.UsageError(str(error))
    else:
        from dvfl_tf.export.keras_classifier import load_keras_model

        if not os.path.exists(model_path):
            raise click.UsageError(f"No such model file: {model_path}")
        model = load_keras_model(model_path)

    class_names = load_labels(labels_path) if labels_path else None
    calibration_clips = verify_clips = calibration_source = None
    if calibration_dataset:
        calibration_clips, verify_clips, calibration_source, dataset_classes = _dataset_clips(
            model, calibration_dataset, data_root, num_calibration, num_verify
        )
        class_names = class_names or dataset_classes
    elif mode in ("int8", "int16x8"):
        click.echo("No --calibration-dataset: calibrating on synthetic motion clips.", err=True)

    try:
        report = export_tflite(
            model, output, mode=mode, calibration_clips=calibration_clips, class_names=class_names,
            uint8_io=uint8_io, edgetpu=edgetpu, report_path=report_path, verify_clips=verify_clips,
            calibration_source=calibration_source, keep_float=list(keep_float) or None,
        )
    except (ExportRefusedError, ConversionError, ValueError) as error:
        raise click.ClickException(str(error))
    click.echo(format_summary(report))


def _dataset_clips(model, dataset, data_root, num_calibration, num_verify):
    """(calibration clips, labelled verification clips, description, class names) from a dataset."""
    from dvfl_tf.data.datasets import DatasetError
    from dvfl_tf.export.calibration import dataset_clips

    graph = model.single_clip_model() if hasattr(model, "single_clip_model") else model
    num_frames, size = graph.inputs[0].shape[0], graph.inputs[0].shape[1]
    try:
        clips = dataset_clips(dataset, data_root, num_frames, size, num_calibration, num_verify)
    except (DatasetError, FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error))
    for message in clips.skipped:
        click.echo(f"skipped: {message}", err=True)
    return clips.calibration, clips.verify, clips.description, clips.class_names


@click.command("predict")
@click.argument("video", type=click.Path(dir_okay=False))
@click.option("--model", "model_path", required=True, type=click.Path(dir_okay=False), help="A .tflite or .keras model.")
@click.option("--labels", "labels_path", type=click.Path(exists=True, dir_okay=False), help="Class names overriding the model's.")
@click.option("--top-k", type=int, default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print [[label, probability], ...] as JSON.")
def predict_command(video, model_path, labels_path, top_k, as_json):
    """Classify VIDEO and print the top-k labels with probabilities."""
    if not os.path.exists(model_path):
        raise click.UsageError(f"No such model file: {model_path}")
    if not os.path.exists(video):
        raise click.UsageError(f"No such video file: {video}")
    from dvfl_tf.data.video_io import VideoDecodeError

    try:
        if model_path.endswith(".tflite"):
            from dvfl_tf.runtime import TFLiteVideoClassifier

            classifier = TFLiteVideoClassifier(model_path, labels_path=labels_path)
        elif model_path.endswith(".keras"):
            from dvfl_tf.export.keras_classifier import KerasVideoClassifier

            classifier = KerasVideoClassifier(model_path, labels_path=labels_path)
        else:
            raise click.UsageError(f"--model must be a .tflite or .keras file. Received: {model_path}")
        predictions = classifier.predict_video(video, top_k=top_k)
    except VideoDecodeError as error:
        raise click.ClickException(f"Cannot read video {error.path}: {error.reason}")
    except ValueError as error:  # non-finite weights or outputs, a model that is not a video classifier
        raise click.ClickException(str(error))
    except ImportError as error:  # no TFLite runtime, or tflite-runtime under NumPy 2 (says what to install)
        raise click.ClickException(str(error))
    if as_json:
        click.echo(json.dumps(predictions))
        return
    for label, probability in predictions:
        click.echo(f"{probability:7.2%}  {label}")
