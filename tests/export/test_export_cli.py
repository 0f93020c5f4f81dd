"""`dvfl-tf export-tflite` and `dvfl-tf predict` through click."""

import json

from click.testing import CliRunner

from dvfl_tf.cli import main


def test_help_lists_modes():
    result = CliRunner().invoke(main, ["export-tflite", "--help"])
    assert result.exit_code == 0
    for flag in (
        "--int8",
        "--fp16",
        "--dynamic-range",
        "--int16x8",
        "--int8-mixed",
        "--uint8-io",
        "--edgetpu",
        "--calibration-dataset",
        "--report",
    ):
        assert flag in result.output


def test_usage_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main, ["export-tflite", "--preset", "vfl_net_nano", "--int8", "--fp16", "-o", str(tmp_path / "x.tflite")]
    )
    assert result.exit_code != 0 and "at most one" in result.output
    result = runner.invoke(
        main, ["export-tflite", "--preset", "vfl_net_nano", "--int8", "--int8-mixed", "-o", str(tmp_path / "x.tflite")]
    )
    assert result.exit_code == 2 and "at most one" in result.output
    result = runner.invoke(
        main,
        ["export-tflite", "--preset", "vfl_net_mobile", "--int8-mixed", "--stream", "-o", str(tmp_path / "x.tflite")],
    )
    assert result.exit_code == 2 and "--stream cannot be combined" in result.output
    result = runner.invoke(main, ["export-tflite", "-o", str(tmp_path / "x.tflite")])
    assert result.exit_code != 0 and "MODEL_PATH or --preset" in result.output
    result = runner.invoke(main, ["export-tflite", str(tmp_path / "missing.keras"), "-o", str(tmp_path / "x.tflite")])
    assert result.exit_code != 0 and "missing.keras: no such model file" in result.output


def test_export_saved_keras_model_then_predict_both_formats(mini_classifier, tmp_path, test_video, class_names):
    keras_path = tmp_path / "mini.keras"
    mini_classifier.save(keras_path)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(class_names))
    runner = CliRunner()
    out = tmp_path / "mini.tflite"
    result = runner.invoke(
        main,
        [
            "export-tflite",
            str(keras_path),
            "--labels",
            str(labels),
            "-o",
            str(out),
            "--report",
            str(tmp_path / "r.json"),
        ],
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


def test_export_calibrates_on_a_dataset_and_reports_accuracy(mini_classifier, tmp_path, video_writer):
    # A `folder` dataset: <root>/<split>/<class>/*.avi, real videos written by OpenCV.
    root = tmp_path / "data"
    for split, count in (("train", 2), ("test", 2)):
        for label, name in enumerate(("walk", "run", "jump")):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                video_writer(folder / f"{name}_{i}.avi", num_frames=6, seed=10 * label + i)
    keras_path = tmp_path / "mini.keras"
    mini_classifier.save(keras_path)
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "export-tflite",
            str(keras_path),
            "--int8",
            "--calibration-dataset",
            "folder",
            "--data-root",
            str(root),
            "--num-calibration",
            "4",
            "--num-verify",
            "3",
            "-o",
            str(tmp_path / "m.tflite"),
            "--report",
            str(report_path),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["calibration"]["num_clips"] == 4 and "folder" in report["calibration"]["source"]
    assert report["num_clips"] == 3
    assert {"keras_accuracy", "tflite_accuracy"} <= set(report["verification"])
    assert report["class_names"] == ["jump", "run", "walk"]
