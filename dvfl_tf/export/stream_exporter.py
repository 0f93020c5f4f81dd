"""`export_stream_model`: causal Keras classifier -> verified frame-by-frame `.tflite` file + `ExportReport`.

The exporter's steps with a stream's own first and last: prepare_stream (the
streaming model, calibration as streamed steps) -> convert_and_check (also
refusing any activation or state whose outer dimension is not 1) -> package
(`build_stream_metadata`) -> verify_stream (step by step against Keras).

The stream file is the classifier's `streaming_model()`: the newest frame (or
tubelet), `frame_weight` (1 / steps so far) and the states in; logits for the
frames so far and the new states out. TFLite orders a multi-input model's
tensors its own way, so the metadata lists every input and output in the
logical order with its tensor name; the TF-free runtime
(`dvfl_tf.runtime.stream.TFLiteStreamClassifier`) and apps go by those names.

int8: the states are int8 tensors too. Calibration runs the float streaming
model over whole clips, step by step, so every state input is calibrated on
the values it holds at run time, not on zeros.
"""

import dataclasses
import os
import time

import keras
import numpy as np

from dvfl_tf.core.export_modes import STREAM_MODES
from dvfl_tf.export import tflite_graph
from dvfl_tf.export.export_report import CalibrationInfo, ExportReport
from dvfl_tf.export.exporter import (
    ExportOptions,
    PreparedExport,
    add_verification,
    check_class_names,
    convert_and_check,
    default_clips,
    package,
    size_and_ops,
    split_clips_and_labels,
)
from dvfl_tf.export.input_folding import fold_input_normalization
from dvfl_tf.export.norm_folding import fold_norms
from dvfl_tf.export.verification import agreement
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import preprocessing_metadata
from dvfl_tf.runtime.interpreter import make_interpreter
from dvfl_tf.runtime.stream import STREAM_FORMAT, TFLiteStreamClassifier


def stream_steps(stream_model, clip, tubelet_size):
    """[{input name: array}] of every step of `clip` (T, H, W, 3) through the float `stream_model`.

    The inputs each step of a real stream sees: the tubelet, 1 / t and the
    states the float model carried from the previous steps.
    """
    clip = np.asarray(clip, np.float32)
    frames_shape = tuple(stream_model.inputs[0].shape)
    states = [np.zeros(tuple(i.shape), np.float32) for i in stream_model.inputs[2:]]
    names = [i.name for i in stream_model.inputs]
    steps = []
    for step, start in enumerate(range(0, len(clip), tubelet_size), start=1):
        values = [clip[start : start + tubelet_size].reshape(frames_shape), np.full((1, 1), 1.0 / step, np.float32)]
        values += states
        steps.append(dict(zip(names, values, strict=True)))
        outputs = stream_model(values, training=False)
        states = [keras.ops.convert_to_numpy(o) for o in outputs[1:]]
    return steps


def keras_stream_logits(stream_model, clip, tubelet_size):
    """Logits after each step (steps, num_classes) of the float Keras streaming model on `clip`."""
    logits = []
    for inputs in stream_steps(stream_model, clip, tubelet_size):
        values = [inputs[i.name] for i in stream_model.inputs]
        logits.append(keras.ops.convert_to_numpy(stream_model(values, training=False)[0]).reshape(-1))
    return np.stack(logits)


def _io_table(model_bytes, stream_model):
    """(inputs, outputs): [{name, signature_key, tensor, shape}] in the streaming model's logical order."""
    interpreter = make_interpreter(model_content=model_bytes, use_default_delegates=False)
    runner = interpreter.get_signature_runner()
    by_index_in = {d["index"]: d for d in interpreter.get_input_details()}
    by_index_out = {d["index"]: d for d in interpreter.get_output_details()}
    signature_in, signature_out = runner.get_input_details(), runner.get_output_details()

    def entry(name, key, detail):
        return {
            "name": name,
            "signature_key": key,
            "tensor": detail["name"],
            "shape": [int(d) for d in detail["shape"]],
        }

    inputs = [entry(i.name, i.name, by_index_in[signature_in[i.name]["index"]]) for i in stream_model.inputs]
    # Keras outputs become signature outputs output_0, output_1, ... in order.
    output_names = ["logits"] + [f"{i.name}_out" for i in stream_model.inputs[2:]]
    outputs = [
        entry(name, f"output_{k}", by_index_out[signature_out[f"output_{k}"]["index"]])
        for k, name in enumerate(output_names)
    ]
    return inputs, outputs


def prepare_stream(
    model, options, *, class_names=None, calibration_clips=None, calibration_source=None, verify_clips=None
):
    """Step 1 for a stream file: the streaming model, its geometry, and calibration as streamed steps.

    Arguments as `exporter.prepare`; the clips are whole clips (num_frames, H, W, 3),
    streamed a tubelet at a time for calibration and verification.

    Raises:
        ValueError: the model is not causal, or the mode is not a stream mode.
    """
    if options.mode not in STREAM_MODES:
        raise ValueError(f"`mode` must be one of {STREAM_MODES} for a stream model. Received: mode={options.mode!r}")
    reference_model = model.streaming_model()  # raises for a non-causal model
    folded = fold_norms(fold_input_normalization(model))
    stream_model = reference_model if folded is model else folded.streaming_model()
    backbone = model.backbone
    num_frames, tubelet_size = backbone.num_frames, backbone.tubelet_size
    height, width = backbone.frame_shape
    if class_names is None:  # the names saved with the model travel into the file, as in `exporter.prepare`
        class_names = getattr(model, "class_names", None)
    check_class_names(class_names, int(stream_model.outputs[0].shape[-1]))
    calibration_clips, calibration_source, verify_clips, verification_source = default_clips(
        options.mode, num_frames, (height, width), calibration_clips, calibration_source, verify_clips
    )
    calibration_steps = calibration = None
    if calibration_clips is not None:
        calibration_steps = [s for clip in calibration_clips for s in stream_steps(stream_model, clip, tubelet_size)]
        calibration = CalibrationInfo(calibration_source, len(calibration_clips), len(calibration_steps))
    return PreparedExport(
        graph_model=stream_model,
        reference_model=reference_model,
        num_frames=num_frames,
        image_size=(height, width),
        class_names=list(class_names) if class_names is not None else None,
        calibration_data=calibration_steps,
        calibration=calibration,
        verify_clips=verify_clips,
        verification_source=verification_source,
        tubelet_size=tubelet_size,
        preprocessing=preprocessing_metadata(model),
    )


def build_stream_metadata(prepared, options, inputs, outputs):
    """The `dvfl_tf` metadata of a stream file: geometry, class names and every input/output by name."""
    height, width = prepared.image_size
    return {
        "format": STREAM_FORMAT,
        "version": 1,
        "class_names": prepared.class_names,
        "num_frames": prepared.num_frames,
        "tubelet_size": prepared.tubelet_size,
        "image_size": [height, width],
        "mode": options.mode,
        "preprocessing": prepared.preprocessing,
        "inputs": inputs,
        "outputs": outputs,
        "usage": (
            "Each step: `frames` = the newest tubelet_size frames of raw RGB [0, 255], stacked vertically "
            "(1, tubelet_size*H, W, 3); `frame_weight` = 1/t at step t (1, 2, ...), or 1/N held after N steps "
            "for a moving average; states = zeros at the first step, then output k+1 fed back as state "
            "input k (inputs[2+k]). outputs[0] = logits for the frames so far."
        ),
    }


def export_stream_model(model, output_path, options=None, **clips_and_names):
    """prepare_stream -> convert_and_check -> package -> verify_stream; returns the `ExportReport`.

    Raises:
        ExportRefusedError: a Flex/custom op, CONV_3D, a tensor above rank 4, or an
            activation or state whose outer dimension is not 1.
        ValueError: the model is not causal, or the mode is not a stream mode.
    """
    options = dataclasses.replace(options or ExportOptions(), stream=True)
    prepared = prepare_stream(model, options, **clips_and_names)
    model_bytes, graph = convert_and_check(prepared, options)
    inputs, outputs = _io_table(model_bytes, prepared.graph_model)
    metadata = build_stream_metadata(prepared, options, inputs, outputs)
    model_bytes = package(model_bytes, metadata, output_path, options.write_sidecar)
    report = ExportReport(
        output=os.fspath(output_path),
        mode=options.mode,
        stream=True,
        calibration=prepared.calibration,
        class_names=prepared.class_names,
        verification_source=prepared.verification_source,
        **_stream_graph_facts(graph, model_bytes, inputs, outputs),
    )
    verification = verify_stream(
        os.fspath(output_path), prepared.reference_model, prepared.verify_clips, prepared.tubelet_size
    )
    add_verification(report, verification, latency_ms=verification["step_latency_ms"])
    return report


def export_stream_tflite(
    model,
    output_path,
    *,
    mode="float32",
    calibration_clips=None,
    class_names=None,
    report_path=None,
    verify_clips=None,
    calibration_source=None,
    write_sidecar=True,
):
    """One call for `export_stream_model` (arguments as `export_tflite`); also writes `report_path`."""
    report = export_stream_model(
        model,
        output_path,
        ExportOptions(mode=mode, stream=True, write_sidecar=write_sidecar),
        class_names=class_names,
        calibration_clips=calibration_clips,
        calibration_source=calibration_source,
        verify_clips=verify_clips,
    )
    if report_path is not None:
        report.write(report_path)
    return report


def _stream_graph_facts(graph, model_bytes, inputs, outputs):
    tensors = {t["name"]: t for t in graph["tensors"]}
    islands = tflite_graph.float_islands(graph)
    io_types = {e["tensor"]: tensors[e["tensor"]]["type"] for e in inputs + outputs}
    return {
        **size_and_ops(model_bytes, graph),
        "inputs": inputs,
        "outputs": outputs,
        "io_types": sorted(set(io_types.values())),
        "float_ops": islands["float_ops"],
        "fully_integer": not islands["float_ops"]
        and not islands["boundary_conversions"]
        and set(io_types.values()) == {"INT8"},
    }


def verify_stream(path, stream_model, clips, tubelet_size):
    """The stream file vs the float Keras streaming model, step by step on whole clips.

    `max_abs_logit_diff` / `mean_abs_logit_diff` over every step of every clip;
    `top1_agreement` at the last step (the whole clip); with labels, accuracies at
    the last step; `step_latency_ms`, the median time of one step (file's runtime, default threads).
    """
    clips, labels = split_clips_and_labels(clips)
    classifier = TFLiteStreamClassifier(path)
    reference, exported, times = [], [], []
    for clip in clips:
        reference.append(keras_stream_logits(stream_model, clip, tubelet_size))
        classifier.reset()
        steps = []
        for start in range(0, len(clip), tubelet_size):
            begin = time.perf_counter()
            steps.append(classifier.step_logits(clip[start : start + tubelet_size]))
            times.append((time.perf_counter() - begin) * 1e3)
        exported.append(np.stack(steps))
    reference, exported = np.stack(reference), np.stack(exported)
    result = agreement(reference[:, -1], exported[:, -1], labels)
    difference = np.abs(reference - exported)
    result["max_abs_logit_diff"] = float(difference.max())
    result["mean_abs_logit_diff"] = float(difference.mean())
    result["steps_per_clip"] = int(reference.shape[1])
    result["step_latency_ms"] = float(np.median(times[1:] if len(times) > 1 else times))
    return result
