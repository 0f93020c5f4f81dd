"""Keeping the int8 culprits in float: selective quantization, and the model's parts in an int8 graph.

- `part_of` / `part_tensors`: which part of the model (LayerNorm, GELU, the
  three-way modulator product q * m * m_t, convolutions, dense layers, other)
  an op of the int8 graph belongs to.
- `layer_error_report`: TFLite's `QuantizationDebugger` runs the float and the
  int8 graph side by side; for every quantized op output, the error of its
  int8 value in units of the tensor's quantization step (`rmse / scale`: ~0.29
  is pure rounding, well above 1 means the range or the op itself hurts),
  grouped by part. It tells which part to name in `export-tflite --keep-float`.
- `selective_int8`: full int8 except named op types (e.g. "GELU"), tensor
  names, or whole parts ("layer_norm", "gelu", "modulator_product") kept in
  float. Each float part costs a DEQUANTIZE/QUANTIZE pair on every target and
  breaks Edge TPU mapping, so use it only when the report names a culprit.
  These files have float input and output (the debugger's converter keeps them).
"""

import csv
import io
import math
import re

import numpy as np
import tensorflow as tf

from dvfl_tf.core.tflite_schema import builtin_op_names
from dvfl_tf.export.tflite_conversion import convert, make_converter, quiet_converter
from dvfl_tf.export.tflite_graph import inspect_graph

PARTS = ("layer_norm", "gelu", "modulator_product")
_LAYER_NORM_OPS = {"MEAN", "SUB", "SQUARED_DIFFERENCE", "ADD", "RSQRT", "MUL", "REDUCE_MAX", "REDUCE_MIN"}
# Keras layer scopes of LayerNorms: norm, norm1, norm2, ln (e.g. ".../norm1_1/Mean").
_LAYER_NORM_SCOPE = re.compile(r"/(norm\d?|ln)_\d+/")


def modulator_product_tensors(graph):
    """Output names of the two MULs forming q * modulator * modulator_temporal in each block.

    Found by structure: the input of each modulation's `proj` dense layer is
    the product's second MUL, whose inputs include the first.
    """
    producer = {t: op for op in graph["ops"] for t in op["outputs"]}
    tensors = graph["tensors"]
    names = []
    for op in graph["ops"]:
        output_name = tensors[op["outputs"][0]]["name"] if op["outputs"] else ""
        if op["op"] != "FULLY_CONNECTED" or "modulation" not in output_name or "/proj" not in output_name:
            continue
        second = producer.get(op["inputs"][0])
        if second is None or second["op"] != "MUL":
            continue
        names.append(tensors[second["outputs"][0]]["name"])
        for t in second["inputs"]:
            first = producer.get(t)
            if first is not None and first["op"] == "MUL" and "modulation" in tensors[t]["name"]:
                names.append(tensors[t]["name"])
    return names


def part_of(op_name, tensor_name, product_names):
    if tensor_name in product_names:
        return "modulator_product"
    if op_name in ("GELU", "LOGISTIC", "TANH") or "Gelu" in tensor_name or "gelu" in tensor_name:
        return "gelu"
    if op_name in _LAYER_NORM_OPS and _LAYER_NORM_SCOPE.search(tensor_name):
        return "layer_norm"
    if op_name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        return "conv"
    if op_name == "FULLY_CONNECTED":
        return "dense"
    return "other"


def part_tensors(graph, part):
    """Names of the op outputs of `part` ("layer_norm", "gelu", "modulator_product") in an int8 graph."""
    products = set(modulator_product_tensors(graph))
    tensors = graph["tensors"]
    return [
        tensors[op["outputs"][0]]["name"]
        for op in graph["ops"]
        if op["outputs"] and part_of(op["op"], tensors[op["outputs"][0]]["name"], products) == part
    ]


def debug_dataset(clips):
    """The `debug_dataset` callable TFLite's `QuantizationDebugger` takes, over `clips`."""

    def generator():
        for clip in clips:
            yield [np.asarray(clip, np.float32)]

    return generator


def selective_int8(graph_model, calibration_clips, keep_float, uint8_io=False):
    """int8 model bytes with `keep_float` (op types, tensor names or parts) left in float."""
    if uint8_io:
        raise ValueError("Selective quantization keeps float input/output; `uint8_io` cannot be combined with it.")
    calibration_clips = list(calibration_clips)
    op_types = set(builtin_op_names().values())
    denylisted_ops = [k for k in keep_float if k in op_types]
    nodes = [k for k in keep_float if k not in op_types and k not in PARTS]
    wanted_parts = [k for k in keep_float if k in PARTS]
    if wanted_parts:
        graph = inspect_graph(convert(graph_model, "int8", calibration_clips))
        for part in wanted_parts:
            found = part_tensors(graph, part)
            if not found:
                raise ValueError(f"No ops of part {part!r} found in the int8 graph.")
            nodes.extend(found)
    options = tf.lite.experimental.QuantizationDebugOptions(
        denylisted_ops=denylisted_ops or None, denylisted_nodes=nodes or None
    )
    converter = make_converter(graph_model, "int8", calibration_clips)
    with quiet_converter():
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=debug_dataset(calibration_clips[:1]), debug_options=options
        )
        return debugger.get_nondebug_quantized_model()


def layer_error_report(graph_model, calibration_clips, debug_clips=None, worst=10):
    """Per-layer int8 error of `graph_model`, grouped by part of the model.

    Returns {"layers": [...], "parts": {part: {"num_ops", "mean_rmse_over_scale",
    "max_rmse_over_scale"}}, "worst": [...]}.
    """
    calibration_clips = list(calibration_clips)
    debug_clips = list(debug_clips) if debug_clips is not None else calibration_clips
    products = set(modulator_product_tensors(inspect_graph(convert(graph_model, "int8", calibration_clips))))
    converter = make_converter(graph_model, "int8", calibration_clips)
    with quiet_converter():
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=debug_dataset(debug_clips)
        )
        debugger.run()
    dump = io.StringIO()
    debugger.layer_statistics_dump(dump)
    dump.seek(0)
    layers = []
    for row in csv.DictReader(dump):
        scale = float(row["scale"])
        rmse = math.sqrt(max(float(row["mean_squared_error"]), 0.0))
        layers.append(
            {
                "op": row["op_name"],
                "tensor": row["tensor_name"],
                "part": part_of(row["op_name"], row["tensor_name"], products),
                "rmse_over_scale": rmse / scale if scale > 0 else float("nan"),
                "max_abs_error": float(row["max_abs_error"]),
                "scale": scale,
            }
        )
    parts = {}
    for layer in layers:
        parts.setdefault(layer["part"], []).append(layer["rmse_over_scale"])
    summary = {
        part: {
            "num_ops": len(values),
            "mean_rmse_over_scale": float(np.nanmean(values)),
            "max_rmse_over_scale": float(np.nanmax(values)),
        }
        for part, values in sorted(parts.items())
    }
    ranked = sorted(layers, key=lambda layer: -np.nan_to_num(layer["rmse_over_scale"]))
    return {"layers": layers, "parts": summary, "worst": ranked[:worst]}
