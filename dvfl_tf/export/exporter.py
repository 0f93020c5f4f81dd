"""`export_tflite`: Keras video classifier -> verified, mobile-checked `.tflite` file + report."""

import os

import numpy as np

from dvfl_tf.export import tflite_graph
from dvfl_tf.export.calibration import synthetic_motion_clips
from dvfl_tf.export.tflite_conversion import CALIBRATED_MODES, MODES, convert
from dvfl_tf.export.verification import verify
from dvfl_tf.core.io_safety import atomic_write_bytes, atomic_write_json
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import preprocessing_metadata
from dvfl_tf.runtime.interpreter import make_interpreter
from dvfl_tf.runtime.model_metadata import embed_metadata, sidecar_path

DEFAULT_CALIBRATION_CLIPS = 32
DEFAULT_VERIFY_CLIPS = 8


def graph_model_of(model):
    """The Keras model that gets converted: a classifier's 4-D single-clip model, else the model itself."""
    if hasattr(model, "single_clip_model"):
        return model.single_clip_model()
    return model


def clip_geometry(graph_model):
    """(num_frames, height, width) of a single-clip model's input (frames, H, W, 3)."""
    shape = tuple(graph_model.inputs[0].shape)
    if len(shape) != 4 or any(d is None for d in shape):
        raise ValueError(
            "The exported model needs a static 4-D input (frames, height, width, 3). "
            f"Received: input shape={shape}"
        )
    return shape[0], shape[1], shape[2]


def _split_clips_and_labels(items):
    clips, labels = [], []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            clips.append(np.asarray(item[0], np.float32))
            labels.append(item[1])
        else:
            clips.append(np.asarray(item, np.float32))
            labels.append(None)
    return clips, (labels if all(label is not None for label in labels) else None)


def export_tflite(
    model,
    output_path,
    *,
    mode="float32",
    calibration_clips=None,
    class_names=None,
    uint8_io=False,
    edgetpu=False,
    report_path=None,
    verify_clips=None,
    calibration_source=None,
    keep_float=None,
    edgetpu_activation="gelu_tanh",
    write_sidecar=True,
):
    """Converts `model` to a `.tflite` file, checks it and returns the verification report.

    Args:
        model: a `VideoFocalNetClassifier` (its `single_clip_model()` is
            converted: input (frames, H, W, 3) raw RGB, output (1, classes)),
            or any Keras model with a static 4-D input.
        output_path: where the `.tflite` file goes.
        mode: "float32", "int8", "fp16", "dynamic_range" or "int16x8" (int16
            activations, int8 weights, float I/O: when int8 activations lose accuracy).
        calibration_clips: iterable of (T, H, W, 3) float clips in [0, 255] for
            int8 calibration. None: synthetic motion clips (the report says so).
        class_names: stored in the file's metadata (and the sidecar JSON); default:
            the names saved with the model (`model.class_names`), if any.
        uint8_io: int8 export with uint8 input/output instead of int8.
        edgetpu: Edge TPU profile: int8, GELU replaced by an Edge TPU form,
            op list checked against the Edge TPU's supported set, and
            `edgetpu_compiler` run when installed.
        report_path: also write the report as JSON there.
        verify_clips: iterable of clips, or (clip, label) pairs, to compare
            TFLite with Keras on. None: synthetic clips.
        calibration_source: words for the report ("synthetic" by default when no clips).
        keep_float: int8 only: op types (e.g. "GELU") or tensor names to keep in
            float (selective quantization through TFLite's quantization debugger).
        edgetpu_activation: the GELU replacement for `edgetpu` ("gelu_tanh" or "gelu_sigmoid").
        write_sidecar: write `OUTPUT.json` with the metadata next to the file.

    Raises:
        ExportRefusedError: the result holds a Flex/custom op, CONV_3D or a
            tensor above rank 4 (the message names them).
        ConversionError: the converter needed non-builtin ops.
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
    if edgetpu and mode != "int8":
        raise ValueError(f"The Edge TPU runs only full-integer models: use mode='int8'. Received: mode={mode!r}")
    if uint8_io and mode != "int8":
        raise ValueError(f"`uint8_io` needs mode='int8'. Received: mode={mode!r}")
    if keep_float and mode != "int8":
        raise ValueError(f"`keep_float` needs mode='int8'. Received: mode={mode!r}")

    report = {"output": os.fspath(output_path), "mode": mode, "uint8_io": bool(uint8_io), "edgetpu": bool(edgetpu)}
    if class_names is None:
        class_names = getattr(model, "class_names", None)
    source_graph = graph_model_of(model)
    if edgetpu:
        from dvfl_tf.export.edgetpu_compat import edgetpu_variant

        model, activation_report = edgetpu_variant(model, edgetpu_activation)
        report["edgetpu_activation"] = activation_report
    graph_model = graph_model_of(model)
    num_frames, height, width = clip_geometry(graph_model)
    num_classes = int(graph_model.outputs[0].shape[-1])
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). Received: {len(class_names)} names"
        )

    if mode in CALIBRATED_MODES:
        if calibration_clips is None:
            calibration_clips = synthetic_motion_clips(DEFAULT_CALIBRATION_CLIPS, num_frames, (height, width))
            calibration_source = calibration_source or "synthetic motion clips (no dataset given)"
        calibration_clips = [np.asarray(c, np.float32) for c in calibration_clips]
        report["calibration"] = {
            "source": calibration_source or "clips given by the caller",
            "num_clips": len(calibration_clips),
        }

    if keep_float:
        from dvfl_tf.export.quantization_debug import selective_int8

        model_bytes = selective_int8(graph_model, calibration_clips, keep_float, uint8_io=uint8_io)
        report["kept_float"] = list(keep_float)
    else:
        model_bytes = convert(graph_model, mode, calibration_clips, uint8_io)

    graph = tflite_graph.inspect_graph(model_bytes)
    tflite_graph.check_mobile_compatible(graph)

    metadata = {
        "format": "dvfl_tf.video_classifier",
        "version": 1,
        "class_names": list(class_names) if class_names is not None else None,
        "num_frames": num_frames,
        "image_size": [height, width],
        "input": "raw RGB in [0, 255], shape (frames, height, width, 3)",
        "mode": mode,
        # How to build a clip for this file (resize, crop, sampling, normalisation done inside).
        "preprocessing": preprocessing_metadata(model),
    }
    model_bytes = embed_metadata(model_bytes, metadata)
    output_path = os.fspath(output_path)
    # Temporary name + rename: a kill mid-write leaves any previous file whole.
    atomic_write_bytes(output_path, model_bytes)
    if write_sidecar:
        atomic_write_json(sidecar_path(output_path), metadata)

    report.update(_graph_report(model_bytes, graph))
    report["class_names"] = metadata["class_names"]

    if verify_clips is None:
        verify_clips = synthetic_motion_clips(DEFAULT_VERIFY_CLIPS, num_frames, (height, width), seed=1)
        report["verification_source"] = "synthetic motion clips"
    clips, labels = _split_clips_and_labels(verify_clips)
    # Compare with the model the user gave (for --edgetpu, the original exact-GELU model).
    report["verification"] = verify(model_bytes, source_graph, clips, labels)
    for key in ("max_abs_logit_diff", "mean_abs_logit_diff", "top1_agreement", "num_clips"):
        report[key] = report["verification"][key]
    report["latency_ms"] = report["verification"]["latency"]["median_ms"]

    if edgetpu:
        from dvfl_tf.export.edgetpu_compat import edgetpu_report

        report["edgetpu_check"] = edgetpu_report(graph, output_path)

    if report_path is not None:
        write_report(report, report_path)
    return report


def _graph_report(model_bytes, graph):
    interpreter = make_interpreter(model_content=model_bytes, use_default_delegates=False)
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    islands = tflite_graph.float_islands(graph)
    return {
        "file_size_bytes": len(model_bytes),
        "op_histogram": graph["op_histogram"],
        "num_ops": len(graph["ops"]),
        "max_tensor_rank": max((len(t["shape"]) for t in graph["tensors"]), default=0),
        "input_details": _io(input_detail),
        "output_details": _io(output_detail),
        "float_tensors": tflite_graph.float_activation_tensors(graph),
        "float_ops": islands["float_ops"],
        "boundary_conversions": islands["boundary_conversions"],
        "fully_integer": not islands["float_ops"] and not islands["boundary_conversions"]
        and input_detail["dtype"] != np.float32,
    }


def _io(detail):
    scale, zero_point = detail["quantization"]
    return {
        "name": detail["name"],
        "dtype": np.dtype(detail["dtype"]).name,
        "shape": [int(d) for d in detail["shape"]],
        "scale": float(scale),
        "zero_point": int(zero_point),
    }


def write_report(report, path):
    atomic_write_json(path, report, default=_jsonable)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def format_summary(report):
    """A few readable lines summarising an export report."""
    lines = [
        f"{report['output']}: {report['mode']}" + (" (Edge TPU profile)" if report.get("edgetpu") else ""),
        f"  size {report['file_size_bytes'] / 1e6:.2f} MB, {report['num_ops']} ops, max tensor rank {report['max_tensor_rank']}",
        "  ops: " + ", ".join(f"{name} x{count}" for name, count in report["op_histogram"].items()),
        f"  input {report['input_details']['dtype']} {report['input_details']['shape']}, "
        f"output {report['output_details']['dtype']} {report['output_details']['shape']}",
    ]
    if "calibration" in report:
        lines.append(f"  calibration: {report['calibration']['num_clips']} clips, {report['calibration']['source']}")
    if report["mode"] in CALIBRATED_MODES:
        if report["float_ops"]:
            lines.append(
                f"  float islands ({len(report['float_ops'])} ops): "
                + ", ".join(f"{o['op']}@{o['output']}" for o in report["float_ops"][:10])
            )
        else:
            lines.append("  integer from input to output (no float ops)")
    lines.append(
        f"  vs Keras on {report['num_clips']} clips: max |logit diff| {report['max_abs_logit_diff']:.4g}, "
        f"mean {report['mean_abs_logit_diff']:.4g}, top-1 agreement {report['top1_agreement']:.1%}"
    )
    verification = report["verification"]
    if "keras_accuracy" in verification:
        lines.append(
            f"  accuracy: Keras {verification['keras_accuracy']:.1%}, TFLite {verification['tflite_accuracy']:.1%}"
        )
    lines.append(f"  latency: {report['latency_ms']:.2f} ms per clip (median, this machine's CPU)")
    if "edgetpu_check" in report:
        check = report["edgetpu_check"]
        lines.append(f"  Edge TPU: {check['summary']}")
    return "\n".join(lines)
