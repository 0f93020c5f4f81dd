"""The DVFL-Net recipe through the CLI, on small real pieces (docs/recipe.md, at fixture size).

Teacher: the official `k400_to_7_classes` Kinetics-400 checkpoint fine-tuned on a
7-class synthetic dataset (real .avi files in the HMDB51 layout). Student: started
from the official ImageNet FocalNet checkpoint (`imagenet_to_student`), distilled,
evaluated with 4x3 views, exported to full-integer int8 TFLite, run by `predict`.
One epoch each: this checks the flow, not accuracy.
"""

import json
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import main

# The fixtures' architecture: [1,1,2,1] blocks, dim 16, 4 frames of 64x64 (the full-size
# recipe uses the presets as they are).
TEACHER_SIZE = ["--backbone-overrides", '{"embed_dim": 16, "depths": [1, 1, 2, 1]}', "--drop-path-rate", "0"]
STUDENT_SIZE = ["--backbone-overrides", '{"embed_dim": 16}', "--drop-path-rate", "0"]
CLIPS = ["--num-frames", "4", "--image-size", "64"]
ONE_EPOCH = ["--epochs", "1", "--batch-size", "7", "--lr", "0.01", "--warmup-epochs", "0", "--no-validation"]


def _run(args, stdout_only=False):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output[-3000:]
    return result.stdout if stdout_only else result.output  # stdout alone: without the progress bars


def _logits_of_both(keras_path, tflite_path, video_paths):
    """(Keras logits, int8 file logits, the file's output step) on each video's evaluation clip (runtime decoding)."""
    from dvfl_tf.models.model_loading import load_keras_model
    from dvfl_tf.runtime import TFLiteVideoClassifier
    from dvfl_tf.runtime.preprocessing import clip_from_video

    classifier = TFLiteVideoClassifier(tflite_path)
    model = load_keras_model(keras_path)
    clips = np.stack(
        [
            clip_from_video(str(v), classifier.num_frames, classifier.image_size, classifier.resize_size)
            for v in video_paths
        ]
    )
    step, _ = classifier.interpreter.get_output_details()[0]["quantization"]
    return np.asarray(model.predict_on_batch(clips)), np.stack([classifier.predict_logits(c) for c in clips]), step


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("recipe") / "synthetic7"
    _run(
        [
            "make-synthetic",
            "--output",
            str(root),
            "--num-classes",
            "7",
            "--train-per-class",
            "1",
            "--test-per-class",
            "1",
            "--unused-per-class",
            "0",
            "--image-size",
            "64",
            "--num-frames",
            "8",
        ]
    )
    return str(root)


def test_dvfl_net_recipe_from_official_checkpoints(videos, official_flows_dir, tmp_path):
    data = ["--dataset", "hmdb51", "--data-root", videos, "--split", "1"]
    teacher_dir, student_dir = tmp_path / "teacher", tmp_path / "student"

    # 1. Teacher: fine-tune the Kinetics-400 checkpoint (400-class head -> 7 classes).
    out = _run(
        [
            "train",
            *data,
            "--model",
            "video_focalnet_base",
            *TEACHER_SIZE,
            *CLIPS,
            *ONE_EPOCH,
            "--init-checkpoint",
            str(official_flows_dir / "k400_to_7_classes" / "pretrained.pth"),
            "--output",
            str(teacher_dir),
        ]
    )
    assert "loaded 128 tensors" in out and "head re-initialised: checkpoint has 400 classes" in out

    # 2. Student: nano started from the ImageNet FocalNet, distilled from the teacher.
    out = _run(
        [
            "distill",
            *data,
            "--teacher",
            str(teacher_dir / "last.keras"),
            "--student",
            "vfl_net_nano",
            *STUDENT_SIZE,
            *CLIPS,
            *ONE_EPOCH,
            "--temperature",
            "10",
            "--alpha",
            "0.2",
            "--student-init",
            str(official_flows_dir / "imagenet_to_student" / "pretrained.pth"),
            "--output",
            str(student_dir),
        ]
    )
    assert "dropped (beyond the model's depth): stage 0 block 1; stage 1 block 1; stage 2 blocks 2-3" in out
    assert "left at initialisation: temporal branch of 5 blocks (30 tensors), head" in out
    student = str(student_dir / "last.keras")

    # 3. Evaluation with 4 clips x 3 crops per video.
    report = json.loads(_run(["evaluate", student, *data, *CLIPS, "--views", "4x3", "--json"], stdout_only=True))
    assert report["videos"] == 7 and report["views"] == [4, 3]
    # One test video per class, in class order: the figures follow from the predictions.
    assert report["top1"] == pytest.approx(np.mean(np.array(report["predictions"]) == np.arange(7)))
    assert report["confusion_matrix"] == [[int(p == j) for j in range(7)] for p in report["predictions"]]

    # 4. Full-integer int8 TFLite, calibrated on the training videos, checked against Keras.
    tflite = tmp_path / "student_int8.tflite"
    _run(
        [
            "export-tflite",
            student,
            "--int8",
            "--calibration-dataset",
            "hmdb51",
            "--data-root",
            videos,
            "--num-calibration",
            "7",
            "--num-verify",
            "2",
            "--output",
            str(tflite),
        ]
    )
    # The file against the Keras student on the same decoded frames (all 14 videos), in steps of the file's
    # output. The student of one epoch has logits of spread ~0.05 (step ~0.0008): its int8 logits differ by
    # ~4.5 steps on average, ~10 at the 95th percentile.
    keras_logits, int8_logits, step = _logits_of_both(student, tflite, sorted(pathlib.Path(videos).glob("*/*.avi")))
    diff = np.abs(int8_logits - keras_logits)
    assert diff.mean() <= 8 * step and np.percentile(diff, 95) <= 16 * step, (diff / step).round(1)
    # The guard: zeros, or another video's logits, are farther than the bound on the mean (~40-55 steps).
    assert np.abs(keras_logits).mean() > 16 * step
    assert np.abs(np.roll(keras_logits, 1, axis=0) - keras_logits).mean() > 16 * step

    # 5. predict on a video with the TensorFlow-free runtime.
    video = sorted(pathlib.Path(videos).glob("*/*.avi"))[0]
    predictions = json.loads(
        _run(["predict", str(video), "--model", str(tflite), "--top-k", "3", "--json"], stdout_only=True)
    )
    class_names = sorted(path.name for path in pathlib.Path(videos).iterdir() if path.is_dir())
    assert len(predictions) == 3 and all(label in class_names for label, _ in predictions)
    probabilities = [p for _, p in predictions]
    assert probabilities == sorted(probabilities, reverse=True) and 0.0 < sum(probabilities) <= 1.0 + 1e-6
