"""Per-layer int8 error report and selective (partly float) quantization."""

import numpy as np

from dvfl_tf.export import export_tflite, inspect_graph, layer_error_report, synthetic_motion_clips
from dvfl_tf.export.quantization_debug import modulator_product_tensors, part_tensors


def test_modulator_product_and_parts_are_found_in_the_int8_graph(exports):
    with open(exports["int8"][0], "rb") as f:
        graph = inspect_graph(f.read())
    products = modulator_product_tensors(graph)
    # One block: q * modulator, then (q * modulator) * modulator_temporal.
    assert len(products) == 2 and all("modulation" in name for name in products)
    assert len(part_tensors(graph, "gelu")) == graph["op_histogram"]["GELU"]
    norms = part_tensors(graph, "layer_norm")
    assert norms and all("norm" in name for name in norms)


def test_layer_error_report_groups_errors_by_model_part(mini_classifier):
    clips = synthetic_motion_clips(2, 2, 16)
    report = layer_error_report(mini_classifier.single_clip_model(), clips)
    assert {"layer_norm", "gelu", "modulator_product", "conv", "dense"} <= set(report["parts"])
    assert report["parts"]["modulator_product"]["num_ops"] == 2
    values = [layer["rmse_over_scale"] for layer in report["layers"]]
    assert np.all(np.isfinite(values)) and max(values) > 0
    assert report["worst"][0]["rmse_over_scale"] == max(values)


def test_keep_float_leaves_named_ops_in_float(mini_classifier, tmp_path):
    report = export_tflite(mini_classifier, tmp_path / "sel.tflite", mode="int8", keep_float=["GELU"])
    float_ops = {op["op"] for op in report.float_ops}
    assert "GELU" in float_ops and "CONV_2D" not in float_ops
    assert report.kept_float == ["GELU"]
    assert report.fully_integer is False
    assert report.top1_agreement == 1.0
