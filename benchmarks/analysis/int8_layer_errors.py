"""Per-layer int8 error of a Keras graph model, grouped by part of the model (a study, not part of export).

TFLite's `QuantizationDebugger` runs the float and the int8 graph side by
side and gives, for every quantized op output, the error of its int8 value
against float. We report `rmse / scale` (the error in units of the tensor's
quantization step: ~0.29 is pure rounding, well above 1 means the range or
the op itself hurts) grouped by the model's parts (`quantization_debug.part_of`):
LayerNorm, GELU, the three-way modulator product q * m * m_t, convolutions,
dense layers, other. Used by benchmarks/int8_synthetic_study.py; it tells
which part to name in `export-tflite --keep-float`.
"""

import csv
import io
import math

import numpy as np
import tensorflow as tf

from dvfl_tf.export.quantization_debug import debug_dataset, modulator_product_tensors, part_of
from dvfl_tf.export.tflite_conversion import convert, make_converter, quiet_converter
from dvfl_tf.export.tflite_graph import inspect_graph


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
