import dataclasses
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.data.data_options import DataOptions, evaluation_dataset, load_dataset_index
from dvfl_tf.evaluation.evaluate import accuracy_report, evaluate, keras_predictor, predict_dataset
from dvfl_tf.models.model_loading import load_keras_model


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
    assert sum(map(sum, report["confusion_matrix"])) == 6

    # By hand: the model on every view of every video, softmax per view, the mean over the 2 x 3 views.
    model = load_keras_model(tiny_teacher_file)
    index = load_dataset_index(options)
    views, labels = [], []
    for clips, targets in evaluation_dataset(options, index, 4, views=(2, 3)):
        clips = np.asarray(clips)
        assert clips.shape[1:3] == (6, 4)  # 2 clips x 3 crops, 4 frames each
        views.append(np.stack([np.asarray(model.predict_on_batch(clips[:, v])) for v in range(6)], axis=1))
        labels.append(np.argmax(np.asarray(targets), axis=-1))
    views, labels = np.concatenate(views).astype(np.float64), np.concatenate(labels)
    per_view = np.exp(views - views.max(-1, keepdims=True))
    per_view /= per_view.sum(-1, keepdims=True)
    by_hand = per_view.mean(axis=1)
    _, probabilities = predict_dataset(keras_predictor(model), evaluation_dataset(options, index, 4, views=(2, 3)))
    np.testing.assert_allclose(probabilities, by_hand, rtol=0, atol=1e-6)
    # The guard: one view alone, or the softmax of the mean logits, is farther from it than the tolerance.
    assert np.abs(per_view[:, 0] - by_hand).max() > 1e-4
    assert report["predictions"] == by_hand.argmax(1).tolist()
    assert report["top1"] == pytest.approx(np.mean(by_hand.argmax(1) == labels))
    assert report["confusion_matrix"] == accuracy_report(labels, by_hand, index.class_names)["confusion_matrix"]
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


def test_evaluate_int8_tflite_file_agrees_with_its_keras_model(tiny_video_dataset, tiny_teacher_file, tmp_path):
    """An int8 file of a classifier whose logits have a real scale answers as its Keras model on every video."""
    from dvfl_tf.export import export_tflite
    from tests.model_testing import give_real_scale

    options = DataOptions(dataset="synthetic", data_root=tiny_video_dataset, num_frames=4, image_size=32)
    index = load_dataset_index(options)
    model = load_keras_model(tiny_teacher_file)
    train_split = dataclasses.replace(options, eval_split="train")
    train_clips = [clip for clips, _ in evaluation_dataset(train_split, index, 4) for clip in np.asarray(clips)]
    give_real_scale(model, train_clips, spread=3.0)
    keras_file, tflite = str(tmp_path / "scaled.keras"), str(tmp_path / "scaled_int8.tflite")
    model.save(keras_file)
    export_tflite(model, tflite, mode="int8", calibration_clips=train_clips, verify_clips=train_clips[:2])
    from_keras = evaluate(keras_file, options, batch_size=4, output_dir=str(tmp_path / "keras"))
    from_int8 = evaluate(tflite, options, batch_size=4, output_dir=str(tmp_path / "int8"))
    assert from_int8["predictions"] == from_keras["predictions"]
    assert from_int8["top1"] == from_keras["top1"] and from_int8["confusion_matrix"] == from_keras["confusion_matrix"]
    # The guard: the Keras model's answers are not one class (a file that answers a constant cannot match them),
    # and each leads by more than two steps of the file's output (closer calls would be ties at its resolution).
    assert len(set(from_keras["predictions"])) > 1
    from dvfl_tf.runtime import TFLiteVideoClassifier

    step, _ = TFLiteVideoClassifier(tflite).interpreter.get_output_details()[0]["quantization"]
    test_clips = np.concatenate([np.asarray(c) for c, _ in evaluation_dataset(options, index, 4)])
    ordered = np.sort(np.asarray(model.predict_on_batch(test_clips)), axis=1)
    assert (ordered[:, -1] - ordered[:, -2]).min() > 2 * step, (ordered, step)


def test_tflite_that_is_not_a_model_is_a_clear_error(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"not a model")
    with pytest.raises(Exception, match="model.tflite|Model provided|flatbuffer"):
        evaluate(str(path), DataOptions(dataset="synthetic"))
