"""The TF-free runtime: runs exported files, labels predictions, never imports TensorFlow."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dvfl_tf.runtime import TFLiteVideoClassifier


def _run_python(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_predict_clip_matches_keras(exports, mini_classifier):
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_testing import random_clips

    classifier = TFLiteVideoClassifier(exports["float32"][0])
    clip = random_clips(1, 2, 16, seed=3)[0]
    probabilities = classifier.predict_clip(clip)
    logits = keras.ops.convert_to_numpy(mini_classifier.single_clip_model()(clip)).reshape(-1)
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    # uint8 frames are accepted as they are (raw RGB).
    np.testing.assert_allclose(classifier.predict_clip(clip.round().astype(np.uint8)), probabilities, atol=1e-2)


def test_int8_classifier_hides_quantization(exports):
    classifier = TFLiteVideoClassifier(exports["int8"][0])
    probabilities = classifier.predict_clip(np.full((2, 16, 16, 3), 128.0, np.float32))
    assert probabilities.shape == (3,) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)


def test_predict_video_on_a_real_file_without_importing_tensorflow(exports, test_video, class_names):
    out = _run_python(
        f"""
        import json, sys
        from dvfl_tf.runtime import TFLiteVideoClassifier
        classifier = TFLiteVideoClassifier({exports["int8"][0]!r})
        predictions = classifier.predict_video({test_video!r}, top_k=2)
        print(json.dumps({{"predictions": predictions, "backend": classifier.backend,
                          "tf": [m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "keras"))]}}))
        """
    )
    result = json.loads(out.strip().splitlines()[-1])
    assert result["tf"] == [], f"the runtime imported {result['tf']}"
    assert result["backend"] == "ai_edge_litert"
    labels = [label for label, _ in result["predictions"]]
    assert len(labels) == 2 and set(labels) <= set(class_names)
    probabilities = [p for _, p in result["predictions"]]
    assert probabilities == sorted(probabilities, reverse=True)


def test_clear_error_when_no_runtime_is_installed():
    out = _run_python(
        """
        import sys
        sys.modules["ai_edge_litert.interpreter"] = None
        sys.modules["tflite_runtime.interpreter"] = None
        from dvfl_tf.runtime import RuntimeNotFoundError, interpreter_module
        try:
            interpreter_module()
        except RuntimeNotFoundError as error:
            print("ERROR:", error)
        """
    )
    assert "No TFLite runtime is installed" in out and "ai-edge-litert" in out and "tflite-runtime" in out


def test_labels_file_overrides_and_must_match(exports, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\nc\n")
    assert TFLiteVideoClassifier(exports["float32"][0], labels_path=labels).class_names == ["a", "b", "c"]
    labels.write_text("a\nb\n")
    with pytest.raises(ValueError, match="2 class names"):
        TFLiteVideoClassifier(exports["float32"][0], labels_path=labels)


def test_wrong_clip_shape_and_missing_file(exports):
    classifier = TFLiteVideoClassifier(exports["float32"][0])
    with pytest.raises(ValueError, match="clip must have shape"):
        classifier.predict_clip(np.zeros((3, 16, 16, 3)))
    with pytest.raises(FileNotFoundError):
        TFLiteVideoClassifier("/nonexistent/model.tflite")


def test_streaming_script_prints_the_current_action(exports, tmp_path, class_names, video_writer):
    import pathlib

    script = pathlib.Path(__file__).resolve().parents[2] / "mobile" / "stream_predict.py"
    video = video_writer(tmp_path / "long.avi", num_frames=20)
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "--model",
            exports["int8"][0],
            "--video",
            video,
            "--window",
            "6",
            "--stride",
            "5",
            "--smooth",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 4  # frames 5, 10, 15, 20
    assert all(any(name in line for name in class_names) and "%" in line for line in lines)
