"""`export_stream_tflite`: causal Keras classifier -> verified frame-by-frame `.tflite` file + report.

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

import json
import os

import numpy as np

from dvfl_tf.export import tflite_graph
from dvfl_tf.export.calibration import synthetic_motion_clips
from dvfl_tf.export.tflite_conversion import CALIBRATED_MODES, convert
from dvfl_tf.export.exporter import DEFAULT_CALIBRATION_CLIPS, DEFAULT_VERIFY_CLIPS, write_report
from dvfl_tf.runtime.interpreter import make_interpreter
from dvfl_tf.runtime.model_metadata import embed_metadata, sidecar_path
from dvfl_tf.runtime.stream import STREAM_FORMAT, TFLiteStreamClassifier

# Stream files: full int8 needs no float op anywhere, and the int16x8 scheme has no GPU or Edge TPU kernels.
STREAM_MODES = ("float32", "fp16", "dynamic_range", "int8")


def stream_steps(stream_model, clip, tubelet_size):
    """[{input name: array}] of every step of `clip` (T, H, W, 3) through the float `stream_model`.

    The inputs each step of a real stream sees: the tubelet, 1 / t and the
    states the float model carried from the previous steps.
    """
    import keras

    clip = np.asarray(clip, np.float32)
    frames_shape = tuple(stream_model.inputs[0].shape)
    states = [np.zeros(tuple(i.shape), np.float32) for i in stream_model.inputs[2:]]
    names = [i.name for i in stream_model.inputs]
    steps = []
    for step, start in enumerate(range(0, len(clip), tubelet_size), start=1):
        values = [clip[start : start + tubelet_size].reshape(frames_shape), np.full((1, 1), 1.0 / step, np.float32)]
        values += states
        steps.append(dict(zip(names, values)))
        outputs = stream_model(values, training=False)
        states = [keras.ops.convert_to_numpy(o) for o in outputs[1:]]
    return steps


def keras_stream_logits(stream_model, clip, tubelet_size):
    """Logits after each step (steps, num_classes) of the float Keras streaming model on `clip`."""
    import keras

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
        return {"name": name, "signature_key": key, "tensor": detail["name"], "shape": [int(d) for d in detail["shape"]]}

    inputs = [entry(i.name, i.name, by_index_in[signature_in[i.name]["index"]]) for i in stream_model.inputs]
    # Keras outputs become signature outputs output_0, output_1, ... in order.
    output_names = ["logits"] + [f"{i.name}_out" for i in stream_model.inputs[2:]]
    outputs = [
        entry(name, f"output_{k}", by_index_out[signature_out[f"output_{k}"]["index"]])
        for k, name in enumerate(output_names)
    ]
    return inputs, outputs


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
    """Converts the streaming model of a causal classifier to `.tflite`, checks it, returns the report.

    Args as `export_tflite`; the clips are whole clips (num_frames, H, W, 3),
    streamed a tubelet at a time for calibration and verification.

    Raises:
        ExportRefusedError: a Flex/custom op, CONV_3D, a tensor above rank 4, or an
            activation or state whose outer dimension is not 1.
        ValueError: the model is not causal, or `mode` is not a stream mode.
    """
    if mode not in STREAM_MODES:
        raise ValueError(f"`mode` must be one of {STREAM_MODES} for a stream model. Received: mode={mode!r}")
    stream_model = model.streaming_model()  # raises for a non-causal model
    backbone = model.backbone
    num_frames, tubelet_size = backbone.num_frames, backbone.tubelet_size
    height, width = backbone.frame_shape
    num_classes = int(stream_model.outputs[0].shape[-1])
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). Received: {len(class_names)} names"
        )
    report = {"output": os.fspath(output_path), "mode": mode, "stream": True}

    calibration_steps = None
    if mode in CALIBRATED_MODES:
        if calibration_clips is None:
            calibration_clips = synthetic_motion_clips(DEFAULT_CALIBRATION_CLIPS, num_frames, (height, width))
            calibration_source = calibration_source or "synthetic motion clips (no dataset given)"
        calibration_clips = list(calibration_clips)
        calibration_steps = [s for clip in calibration_clips for s in stream_steps(stream_model, clip, tubelet_size)]
        report["calibration"] = {
            "source": calibration_source or "clips given by the caller",
            "num_clips": len(calibration_clips),
            "num_steps": len(calibration_steps),
        }
    model_bytes = convert(stream_model, mode, calibration_steps)

    graph = tflite_graph.inspect_graph(model_bytes)
    problems = tflite_graph.mobile_violations(graph) + tflite_graph.outer_dimension_violations(graph)
    if problems:
        raise tflite_graph.ExportRefusedError("Refusing to export: " + "; ".join(problems))

    inputs, outputs = _io_table(model_bytes, stream_model)
    metadata = {
        "format": STREAM_FORMAT,
        "version": 1,
        "class_names": list(class_names) if class_names is not None else None,
        "num_frames": num_frames,
        "tubelet_size": tubelet_size,
        "image_size": [height, width],
        "mode": mode,
        "inputs": inputs,
        "outputs": outputs,
        "usage": (
            "Each step: `frames` = the newest tubelet_size frames of raw RGB [0, 255], stacked vertically "
            "(1, tubelet_size*H, W, 3); `frame_weight` = 1/t at step t (1, 2, ...), or 1/N held after N steps "
            "for a moving average; states = zeros at the first step, then output k+1 fed back as state "
            "input k (inputs[2+k]). outputs[0] = logits for the frames so far."
        ),
    }
    model_bytes = embed_metadata(model_bytes, metadata)
    output_path = os.fspath(output_path)
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "wb") as f:
        f.write(model_bytes)
    if write_sidecar:
        with open(sidecar_path(output_path), "w") as f:
            json.dump(metadata, f, indent=2)

    report.update(_stream_graph_report(graph, model_bytes, inputs, outputs))
    report["class_names"] = metadata["class_names"]
    if verify_clips is None:
        verify_clips = synthetic_motion_clips(DEFAULT_VERIFY_CLIPS, num_frames, (height, width), seed=1)
        report["verification_source"] = "synthetic motion clips"
    report["verification"] = verify_stream(output_path, stream_model, verify_clips, tubelet_size)
    for key in ("max_abs_logit_diff", "mean_abs_logit_diff", "top1_agreement", "num_clips"):
        report[key] = report["verification"][key]
    report["latency_ms"] = report["verification"]["step_latency_ms"]
    if report_path is not None:
        write_report(report, report_path)
    return report


def _stream_graph_report(graph, model_bytes, inputs, outputs):
    tensors = {t["name"]: t for t in graph["tensors"]}
    islands = tflite_graph.float_islands(graph)
    io_types = {e["tensor"]: tensors[e["tensor"]]["type"] for e in inputs + outputs}
    return {
        "file_size_bytes": len(model_bytes),
        "op_histogram": graph["op_histogram"],
        "num_ops": len(graph["ops"]),
        "max_tensor_rank": max((len(t["shape"]) for t in graph["tensors"]), default=0),
        "inputs": inputs,
        "outputs": outputs,
        "io_types": sorted(set(io_types.values())),
        "float_ops": islands["float_ops"],
        "fully_integer": not islands["float_ops"] and not islands["boundary_conversions"]
        and set(io_types.values()) == {"INT8"},
    }


def verify_stream(path, stream_model, clips, tubelet_size):
    """The stream file vs the float Keras streaming model, step by step on whole clips.

    `max_abs_logit_diff` / `mean_abs_logit_diff` over every step of every clip;
    `top1_agreement` at the last step (the whole clip); with labels, accuracies at
    the last step; `step_latency_ms`, the median time of one step (file's runtime, default threads).
    """
    import time

    from dvfl_tf.export.exporter import _split_clips_and_labels
    from dvfl_tf.export.verification import agreement

    clips, labels = _split_clips_and_labels(clips)
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


def format_stream_summary(report):
    """A few readable lines summarising a stream export report."""
    lines = [
        f"{report['output']}: stream model, {report['mode']}",
        f"  size {report['file_size_bytes'] / 1e6:.2f} MB, {report['num_ops']} ops, max tensor rank "
        f"{report['max_tensor_rank']}, every activation and state at outer dimension 1",
        f"  {len(report['inputs'])} inputs (frames, frame_weight, {len(report['inputs']) - 2} states), "
        f"{len(report['outputs'])} outputs (logits, new states); I/O types {', '.join(report['io_types'])}",
    ]
    if "calibration" in report:
        calibration = report["calibration"]
        lines.append(
            f"  calibration: {calibration['num_clips']} clips streamed ({calibration['num_steps']} steps), "
            f"{calibration['source']}"
        )
    verification = report["verification"]
    lines.append(
        f"  vs Keras stream on {report['num_clips']} clips x {verification['steps_per_clip']} steps: max |logit diff| "
        f"{report['max_abs_logit_diff']:.4g}, mean {report['mean_abs_logit_diff']:.4g}, "
        f"top-1 agreement at the last step {report['top1_agreement']:.1%}"
    )
    lines.append(f"  latency: {report['latency_ms']:.2f} ms per step (median, this machine's CPU)")
    return "\n".join(lines)
