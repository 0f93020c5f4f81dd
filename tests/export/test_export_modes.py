"""Each export mode produces a builtin-only, rank-<=4 file that agrees with Keras."""

import json

import numpy as np
import pytest
from quantized_agreement import assert_logits_agree, output_step

from dvfl_tf.export import export_tflite, inspect_graph, synthetic_motion_clips
from dvfl_tf.export.tflite_graph import mobile_violations
from dvfl_tf.runtime import read_metadata


def _graph(path):
    with open(path, "rb") as f:
        return inspect_graph(f.read())


def test_float32_export_matches_keras_and_is_mobile_clean(exports, class_names):
    path, report = exports["float32"]
    graph = _graph(path)
    assert mobile_violations(graph) == []
    assert "CONV_3D" not in report.op_histogram
    assert max(len(t["shape"]) for t in graph["tensors"]) <= 4
    assert report.input_details["shape"] == [2, 16, 16, 3]
    assert report.input_details["dtype"] == "float32"
    assert report.output_details["shape"] == [1, len(class_names)]
    assert report.max_abs_logit_diff < 1e-3
    assert report.top1_agreement == 1.0
    assert report.num_clips == 8
    assert report.latency_ms > 0


def test_int8_export_is_integer_from_input_to_output(exports):
    path, report = exports["int8"]
    assert report.input_details["dtype"] == "int8"
    assert report.output_details["dtype"] == "int8"
    # No float op anywhere: LayerNorm, GELU and the modulator product all stay int8.
    assert report.float_ops == [] and report.boundary_conversions == []
    assert report.fully_integer is True
    graph = _graph(path)
    assert "QUANTIZE" not in report.op_histogram or all(
        graph["tensors"][op["inputs"][0]]["type"] in ("INT8", "UINT8") for op in graph["ops"] if op["op"] == "QUANTIZE"
    )
    assert "DEQUANTIZE" not in report.op_histogram
    assert report.calibration.source.startswith("synthetic")
    assert report.num_clips == 8
    # The export's own check on its 8 verification clips, at the scale of the model's logits (see
    # test_int8_file_agrees_with_keras_at_the_logits_scale for the bounds on 100 clips).
    step = output_step(path)
    assert report.top1_agreement >= 7 / 8 and report.max_abs_logit_diff <= 4 * step
    # Weights are int8 (file size says little for a model this small: the
    # per-tensor scales of the int8 graph weigh as much as its weights).
    weighted = [op for op in graph["ops"] if op["op"] in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")]
    assert weighted and all(graph["tensors"][op["inputs"][1]]["type"] == "INT8" for op in weighted)


def test_int8_file_agrees_with_keras_at_the_logits_scale(exports, mini_classifier):
    from dvfl_tf.runtime import TFLiteVideoClassifier

    path, _ = exports["int8"]
    clips = synthetic_motion_clips(100, 2, 16, seed=21)  # not the calibration clips
    reference = np.asarray(mini_classifier(np.stack(clips)))
    classifier = TFLiteVideoClassifier(path)
    assert_logits_agree(reference, np.stack([classifier.predict_logits(c) for c in clips]), output_step(path))


def test_report_json_written_with_required_keys(exports, tmp_path):
    path, _ = exports["int8"]
    with open(path.replace(".tflite", ".json")) as f:
        report = json.load(f)
    for key in (
        "max_abs_logit_diff",
        "top1_agreement",
        "num_clips",
        "op_histogram",
        "file_size_bytes",
        "float_tensors",
        "latency_ms",
    ):
        assert key in report, key


def test_class_names_travel_in_the_file_and_sidecar(exports, class_names):
    path, _ = exports["float32"]
    with open(path, "rb") as f:
        metadata = read_metadata(f.read())
    assert metadata["class_names"] == class_names
    assert metadata["num_frames"] == 2 and metadata["image_size"] == [16, 16]
    with open(path + ".json") as f:
        assert json.load(f)["class_names"] == class_names


def _real_scale(model):
    """The guard of an absolute bound: the model's logits spread over several units (zeros would be far off)."""
    logits = np.asarray(model(np.stack(synthetic_motion_clips(16, 2, 16, seed=41))))
    assert logits.std() > 1.0, logits.std()


def test_fp16_stays_close_to_keras(mini_classifier, tmp_path):
    _real_scale(mini_classifier)
    report = export_tflite(mini_classifier, tmp_path / "fp16.tflite", mode="fp16")
    assert mobile_violations(_graph(tmp_path / "fp16.tflite")) == []
    assert report.input_details["dtype"] == "float32"
    assert report.max_abs_logit_diff < 0.05 and report.top1_agreement == 1.0
    # fp16 weights are stored as FLOAT16 constants, dequantized at load.
    assert report.op_histogram.get("DEQUANTIZE", 0) > 0


def test_dynamic_range_quantizes_the_weights_and_stays_close_to_keras(tmp_path, real_scale_classifier):
    # Dim 32: weight matrices of 1,024 elements and more, which the converter quantizes (it leaves smaller
    # ones in float32, so the shared dim-8 classifier would give a float file).
    model = real_scale_classifier(embed_dim=32)
    _real_scale(model)
    path = tmp_path / "dynamic_range.tflite"
    report = export_tflite(model, path, mode="dynamic_range")
    graph = _graph(path)
    assert mobile_violations(graph) == []
    assert report.input_details["dtype"] == "float32"
    weights = [graph["tensors"][op["inputs"][1]] for op in graph["ops"] if op["op"] == "FULLY_CONNECTED"]
    assert any(t["type"] == "INT8" for t in weights), [t["type"] for t in weights]
    assert report.max_abs_logit_diff < 0.05 * 3.0 and report.top1_agreement == 1.0


def test_uint8_io_with_given_calibration_clips(mini_classifier, tmp_path):
    from dvfl_tf.export import synthetic_motion_clips

    clips = synthetic_motion_clips(4, 2, 16, seed=5)
    report = export_tflite(
        mini_classifier,
        tmp_path / "u8.tflite",
        mode="int8",
        uint8_io=True,
        calibration_clips=clips,
        calibration_source="four clips",
        verify_clips=[(c, 0) for c in clips],
    )
    assert report.input_details["dtype"] == "uint8"
    assert report.output_details["dtype"] == "uint8"
    assert report.to_json()["calibration"] == {"source": "four clips", "num_clips": 4}
    assert report.num_clips == 4
    # Labels given with the verification clips: both accuracies are reported.
    assert {"keras_accuracy", "tflite_accuracy"} <= set(report.verification)


def test_argument_errors(mini_classifier, tmp_path):
    with pytest.raises(ValueError, match="mode"):
        export_tflite(mini_classifier, tmp_path / "x.tflite", mode="int4")
    with pytest.raises(ValueError, match="uint8_io"):
        export_tflite(mini_classifier, tmp_path / "x.tflite", mode="float32", uint8_io=True)
    with pytest.raises(ValueError, match="class_names"):
        export_tflite(mini_classifier, tmp_path / "x.tflite", class_names=["only-one"])


def test_int16x8_keeps_int16_activations_inside(mini_classifier, tmp_path):
    path = tmp_path / "w8a16.tflite"
    report = export_tflite(mini_classifier, path, mode="int16x8")
    graph = _graph(path)
    assert mobile_violations(graph) == []
    # Float only at the boundary: QUANTIZE in, DEQUANTIZE out; every op inside is integer.
    assert report.float_ops == []
    assert sorted(op["op"] for op in report.boundary_conversions) == ["DEQUANTIZE", "QUANTIZE"]
    activation_types = {t["type"] for t in graph["tensors"] if not t["constant"]}
    assert "INT16" in activation_types
    # Logits of spread ~3 (the shared classifier): within 3% of it, where zeros or another clip are ~3 away.
    _real_scale(mini_classifier)
    assert report.top1_agreement == 1.0 and report.max_abs_logit_diff < 0.1
