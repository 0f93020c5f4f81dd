"""Each export step on its own: prepare, convert_and_check, package, verify_export; and the typed report."""

import json
import os

import keras
import numpy as np
import pytest

from dvfl_tf.core.tflite_file import read_tflite
from dvfl_tf.export import ExportRefusedError
from dvfl_tf.export.export_report import CalibrationInfo, ExportReport, format_summary
from dvfl_tf.export.exporter import (
    ExportOptions,
    build_metadata,
    convert_and_check,
    package,
    prepare,
    verify_export,
)
from dvfl_tf.runtime import read_metadata


@pytest.fixture(scope="module")
def prepared_float(mini_classifier, class_names):
    return prepare(mini_classifier, ExportOptions(), class_names=class_names)


@pytest.fixture(scope="module")
def converted_float(prepared_float):
    return convert_and_check(prepared_float, ExportOptions())


def test_options_refuse_what_does_not_fit_the_mode():
    with pytest.raises(ValueError, match="`mode` must be one of .* Received: mode='int4'"):
        ExportOptions(mode="int4")
    with pytest.raises(ValueError, match="Edge TPU runs only full-integer models"):
        ExportOptions(mode="fp16", edgetpu=True)
    with pytest.raises(ValueError, match="`uint8_io` needs mode='int8'"):
        ExportOptions(uint8_io=True)
    with pytest.raises(ValueError, match="`keep_float` needs mode='int8'"):
        ExportOptions(keep_float=["GELU"])
    with pytest.raises(ValueError, match="stream export cannot use"):
        ExportOptions(mode="int8", stream=True, uint8_io=True)
    assert ExportOptions(mode="int8", keep_float=["GELU"]).keep_float == ("GELU",)


def test_prepare_gives_the_graph_model_geometry_and_synthetic_clips(mini_classifier, prepared_float, class_names):
    assert tuple(prepared_float.graph_model.inputs[0].shape) == (2, 16, 16, 3)
    assert prepared_float.num_frames == 2 and prepared_float.image_size == (16, 16)
    assert prepared_float.class_names == class_names
    # float32 needs no calibration; verification falls back to synthetic clips and says so.
    assert prepared_float.calibration is None and prepared_float.calibration_data is None
    assert len(prepared_float.verify_clips) == 8 and prepared_float.verification_source == "synthetic motion clips"

    int8 = prepare(mini_classifier, ExportOptions(mode="int8"), verify_clips=[np.zeros((2, 16, 16, 3))])
    assert int8.calibration == CalibrationInfo("synthetic motion clips (no dataset given)", 32)
    assert len(int8.calibration_data) == 32 and int8.calibration_data[0].shape == (2, 16, 16, 3)
    assert int8.verification_source is None and len(int8.verify_clips) == 1

    with pytest.raises(ValueError, match=r"one name per class \(3\). Received: 1 names"):
        prepare(mini_classifier, ExportOptions(), class_names=["only-one"])


def test_convert_and_check_gives_mobile_clean_bytes(converted_float):
    model_bytes, graph = converted_float
    assert model_bytes[4:8] == b"TFL3"
    assert graph == read_tflite(model_bytes).as_dict()
    assert "CONV_3D" not in graph["op_histogram"] and max(len(t["shape"]) for t in graph["tensors"]) <= 4


def test_convert_and_check_refuses_batch_above_one_only_for_stream_files():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4, 4, 3), batch_size=2)
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))
    prepared = prepare(model, ExportOptions())
    model_bytes, _ = convert_and_check(prepared, ExportOptions())  # a single-clip file may fold frames into batch
    assert read_tflite(model_bytes).tensors[read_tflite(model_bytes).inputs[0]].shape == (2, 4, 4, 3)
    with pytest.raises(ExportRefusedError, match=r"Refusing to export: tensor .* \(outer dimension 2, expected 1\)"):
        convert_and_check(prepared, ExportOptions(stream=True))


def test_package_embeds_metadata_and_writes_file_and_sidecar(prepared_float, converted_float, tmp_path):
    metadata = build_metadata(prepared_float, ExportOptions())
    assert metadata["num_frames"] == 2 and metadata["image_size"] == [16, 16] and metadata["mode"] == "float32"
    path = tmp_path / "m.tflite"
    path.write_bytes(b"an older file")
    written = package(converted_float[0], metadata, path)
    assert path.read_bytes() == written
    assert read_metadata(written) == metadata
    assert json.loads((tmp_path / "m.tflite.json").read_text()) == metadata
    assert sorted(os.listdir(tmp_path)) == ["m.tflite", "m.tflite.json"]  # no temporary file left

    package(converted_float[0], metadata, tmp_path / "bare.tflite", write_sidecar=False)
    assert not (tmp_path / "bare.tflite.json").exists()


def test_verify_export_compares_the_file_with_keras(prepared_float, converted_float, mini_classifier):
    result = verify_export(converted_float[0], prepared_float)
    assert result["num_clips"] == 8 and result["max_abs_logit_diff"] < 1e-3 and result["top1_agreement"] == 1.0
    assert result["latency"]["median_ms"] > 0

    clips = [np.asarray(c) for c in prepared_float.verify_clips[:3]]
    labels = [int(np.argmax(mini_classifier.single_clip_model()(c))) for c in clips]
    labelled = prepare(mini_classifier, ExportOptions(), verify_clips=list(zip(clips, labels, strict=True)))
    result = verify_export(converted_float[0], labelled)
    assert result["num_clips"] == 3 and result["keras_accuracy"] == 1.0 and result["tflite_accuracy"] == 1.0


def test_report_json_leaves_out_what_does_not_apply(exports):
    report = exports["int8"][1]
    assert isinstance(report, ExportReport)
    document = report.to_json()
    assert json.loads(json.dumps(document)) == document  # plain JSON types only
    assert document["calibration"] == {"source": "synthetic motion clips (no dataset given)", "num_clips": 32}
    assert "stream" not in document and "edgetpu_check" not in document and "kept_float" not in document
    assert document["uint8_io"] is False and document["edgetpu"] is False
    assert document["latency_ms"] == document["verification"]["latency"]["median_ms"]
    with open(exports["int8"][0].replace(".tflite", ".json")) as f:
        assert json.load(f) == document
    bare = ExportReport(output="x.tflite", mode="float32").to_json()
    assert bare["class_names"] is None and "calibration" not in bare  # class_names is always said, null or not
    summary = format_summary(report).splitlines()
    assert summary[0].endswith(": int8") and summary[-1].startswith("  latency: ")
    assert "  integer from input to output (no float ops)" in summary
