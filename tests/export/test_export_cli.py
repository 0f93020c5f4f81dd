"""`dvfl-tf export-tflite` and `dvfl-tf predict` through click."""

import json

from click.testing import CliRunner

from dvfl_tf.cli import main


def test_help_lists_modes():
    result = CliRunner().invoke(main, ["export-tflite", "--help"])
    assert result.exit_code == 0
    for flag in ("--int8", "--fp16", "--dynamic-range", "--uint8-io", "--edgetpu", "--calibration-dataset", "--report"):
        assert flag in result.output


def test_usage_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["export-tflite", "--preset", "vfl_net_nano", "--int8", "--fp16", "-o", str(tmp_path / "x.tflite")])
    assert result.exit_code != 0 and "at most one" in result.output
    result = runner.invoke(main, ["export-tflite", "-o", str(tmp_path / "x.tflite")])
    assert result.exit_code != 0 and "MODEL_PATH or --preset" in result.output
    result = runner.invoke(main, ["export-tflite", str(tmp_path / "missing.keras"), "-o", str(tmp_path / "x.tflite")])
    assert result.exit_code != 0 and "No such model file" in result.output


def test_export_saved_keras_model_then_predict_both_formats(mini_classifier, tmp_path, test_video, class_names):
    keras_path = tmp_path / "mini.keras"
    mini_classifier.save(keras_path)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(class_names))
    runner = CliRunner()
    out = tmp_path / "mini.tflite"
    result = runner.invoke(
        main,
        ["export-tflite", str(keras_path), "--labels", str(labels), "-o", str(out), "--report", str(tmp_path / "r.json")],
    )
    assert result.exit_code == 0, result.output
    assert "max |logit diff|" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["max_abs_logit_diff"] < 1e-3

    answers = {}
    for model in (out, keras_path):
        result = runner.invoke(main, ["predict", test_video, "--model", str(model), "--json", "--labels", str(labels)])
        assert result.exit_code == 0, result.output
        answers[model.suffix] = json.loads(result.output)
    assert len(answers[".tflite"]) == 3
    assert [label for label, _ in answers[".tflite"]] == [label for label, _ in answers[".keras"]]
    for (_, p_tflite), (_, p_keras) in zip(answers[".tflite"], answers[".keras"]):
        assert abs(p_tflite - p_keras) < 1e-4


def test_predict_reports_a_corrupt_video_by_name(exports, tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"not a video at all")
    result = CliRunner().invoke(main, ["predict", str(broken), "--model", exports["float32"][0]])
    assert result.exit_code != 0
    assert "broken.avi" in result.output
