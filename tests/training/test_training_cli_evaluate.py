import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.data.data_options import DataOptions
from dvfl_tf.evaluation.evaluate import accuracy_report, evaluate


def test_accuracy_report_by_hand():
    labels = np.array([0, 0, 1, 2])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.5, 0.3], [0.4, 0.35, 0.25]], dtype="float64")
    report = accuracy_report(labels, probabilities, ["a", "b", "c"])
    assert report["top1"] == pytest.approx(0.5)
    assert report["top5"] == pytest.approx(1.0)  # 3 classes: top-5 is everything
    assert report["per_class"]["a"] == {"accuracy": 0.5, "videos": 2}
    assert report["per_class"]["c"]["accuracy"] == 0.0
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_evaluate_keras_model_with_multiple_views(tiny_video_dataset, tiny_teacher_file, tmp_path):
    options = DataOptions(dataset="synthetic", data_root=tiny_video_dataset)
    report = evaluate(tiny_teacher_file, options, views=(2, 3), batch_size=4, output_dir=str(tmp_path))
    assert report["videos"] == 6 and report["views"] == [2, 3]
    assert (report["num_frames"], report["image_size"]) == (4, 32)  # taken from the model
    assert 0.0 <= report["top1"] <= report["top5"] <= 1.0
    assert sum(map(sum, report["confusion_matrix"])) == 6
    assert os.path.exists(tmp_path / "confusion_matrix.png")
    assert json.loads((tmp_path / "evaluation.json").read_text())["top1"] == report["top1"]


def test_cli_help_and_clear_errors(tmp_path, tiny_video_dataset):
    runner = CliRunner()
    for command in ("train", "distill", "evaluate", "quickstart"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, result.output
    assert "--temperature" in runner.invoke(main, ["distill", "--help"]).output

    result = runner.invoke(main, ["evaluate", str(tmp_path / "model.onnx")])
    assert result.exit_code != 0 and ".keras or .tflite" in result.output

    result = runner.invoke(main, ["evaluate", str(tmp_path / "missing.keras"), "--views", "4by3"])
    assert result.exit_code != 0 and "CLIPSxCROPS" in result.output

    result = runner.invoke(
        main,
        [
            "train",
            "--model",
            "no_such_preset",
            "--dataset",
            "synthetic",
            "--data-root",
            tiny_video_dataset,
            "--output",
            str(tmp_path / "run"),
            "--num-frames",
            "4",
            "--image-size",
            "32",
        ],
    )
    assert result.exit_code != 0 and "preset" in result.output

    result = runner.invoke(
        main, ["distill", "--teacher", str(tmp_path / "none.keras"), "--output", str(tmp_path / "run2")]
    )
    assert result.exit_code != 0 and "Teacher not found" in result.output


def test_evaluate_tflite_file_matches_its_keras_model(tiny_video_dataset, tiny_teacher_file, tmp_path):
    from dvfl_tf.export import export_tflite
    from dvfl_tf.models.model_loading import load_keras_model

    tflite = str(tmp_path / "teacher.tflite")
    export_tflite(load_keras_model(tiny_teacher_file), tflite, mode="float32")
    options = DataOptions(dataset="synthetic", data_root=tiny_video_dataset)
    from_keras = evaluate(tiny_teacher_file, options, batch_size=4, output_dir=str(tmp_path / "keras"))
    from_tflite = evaluate(tflite, options, batch_size=4, output_dir=str(tmp_path / "tflite"))
    assert (from_tflite["num_frames"], from_tflite["image_size"]) == (4, 32)  # read from the file
    assert from_tflite["predictions"] == from_keras["predictions"]
    assert from_tflite["top1"] == from_keras["top1"]


def test_tflite_that_is_not_a_model_is_a_clear_error(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"not a model")
    with pytest.raises(Exception, match="model.tflite|Model provided|flatbuffer"):
        evaluate(str(path), DataOptions(dataset="synthetic"))
