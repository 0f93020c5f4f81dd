"""--edgetpu: GELU replaced, every op in Coral's supported set, fully integer; the check names what falls back."""

import pytest

from dvfl_tf.export import export_tflite, inspect_graph
from dvfl_tf.export.edgetpu_compat import EDGETPU_SUPPORTED_OPS, edgetpu_report


def test_edgetpu_profile_uses_only_edgetpu_ops(mini_classifier, tmp_path):
    report = export_tflite(mini_classifier, tmp_path / "etpu.tflite", mode="int8", edgetpu=True)
    ops = set(report.op_histogram)
    assert ops <= EDGETPU_SUPPORTED_OPS, ops - EDGETPU_SUPPORTED_OPS
    assert "GELU" not in ops and "TANH" in ops  # default replacement: tanh-form GELU
    assert report.fully_integer and report.float_ops == []
    check = report.edgetpu_check
    assert check["unsupported_ops"] == {} and check["ops_falling_back_to_cpu"] == 0
    assert "compiler" in check and check["compiler"]["message"]
    # The float effect of swapping exact GELU for its tanh form is measured and small.
    effect = report.edgetpu_activation["float_effect"]
    assert report.edgetpu_activation["to"] == "gelu_tanh"
    assert effect["max_abs_logit_diff"] < 1e-2 and effect["top1_agreement"] == 1.0
    # The folded (frames, H, W, C) layout breaks Coral's "only 3 innermost dims > 1" rule; it is reported.
    assert check["tensor_shape_violations"] > 0


def test_plain_int8_graph_reports_gelu_as_cpu_fallback(exports):
    with open(exports["int8"][0], "rb") as f:
        graph = inspect_graph(f.read())
    report = edgetpu_report(graph, run_compiler=False)
    assert "GELU" in report["unsupported_ops"]
    first = report["first_unsupported_op"]
    assert graph["ops"][first["index"]]["op"] == "GELU"
    assert report["ops_falling_back_to_cpu"] == len(graph["ops"]) - first["index"]
    assert "would run on the CPU" in report["summary"]


def test_edgetpu_needs_int8_and_a_known_activation(mini_classifier, tmp_path):
    with pytest.raises(ValueError, match="int8"):
        export_tflite(mini_classifier, tmp_path / "x.tflite", mode="float32", edgetpu=True)
    with pytest.raises(ValueError, match="activation"):
        export_tflite(mini_classifier, tmp_path / "x.tflite", mode="int8", edgetpu=True, edgetpu_activation="relu")
