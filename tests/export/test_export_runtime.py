"""The TF-free runtime: runs exported files, labels predictions, never imports TensorFlow."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from quantized_agreement import softmax, total_variation

from dvfl_tf.runtime import TFLiteVideoClassifier

# An int8 file's class probabilities against the float model's, as total variation (half the L1 distance):
# at the 95th percentile and on average over clips. Zeros (uniform probabilities) or another clip's probabilities
# are ~0.4 away for the shared real-scale classifier (checked in each test).
TV_P95, TV_MEAN = 0.05, 0.02


def _tv_failures(reference, candidate):
    distance = total_variation(reference, candidate)
    return [
        bound
        for bound, ok in (("p95", np.percentile(distance, 95) <= TV_P95), ("mean", distance.mean() <= TV_MEAN))
        if not ok
    ]


def _keras_probabilities(model, clips):
    import keras

    single = model.single_clip_model()
    return softmax(np.concatenate([keras.ops.convert_to_numpy(single(np.asarray(c, np.float32))) for c in clips]))


def _run_python(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_predict_clip_matches_keras(exports, mini_classifier):
    import keras

    from tests.model_testing import random_clips

    classifier = TFLiteVideoClassifier(exports["float32"][0])
    clip = random_clips(1, 2, 16, seed=3)[0]
    probabilities = classifier.predict_clip(clip)
    logits = keras.ops.convert_to_numpy(mini_classifier.single_clip_model()(clip)).reshape(-1)
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)
    # uint8 frames are accepted as they are (raw RGB): the same answer as the same values in float32.
    rounded = clip.round()
    np.testing.assert_allclose(
        classifier.predict_clip(rounded.astype(np.uint8)), classifier.predict_clip(rounded), rtol=0, atol=1e-6
    )


def test_int8_classifier_hides_quantization(exports, mini_classifier):
    from dvfl_tf.export import synthetic_motion_clips

    classifier = TFLiteVideoClassifier(exports["int8"][0])
    probabilities = classifier.predict_clip(np.full((2, 16, 16, 3), 128.0, np.float32))
    assert probabilities.shape == (3,) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)
    # Float clips in, probabilities out: those of the float model, within the file's resolution.
    clips = synthetic_motion_clips(32, 2, 16, seed=31)
    reference = _keras_probabilities(mini_classifier, clips)
    assert _tv_failures(reference, np.stack([classifier.predict_clip(c) for c in clips])) == []
    # The guard: the same bounds reject a file that answers uniform probabilities, or another clip's.
    assert _tv_failures(reference, np.full_like(reference, 1.0 / 3)) and _tv_failures(
        reference, np.roll(reference, 1, 0)
    )


def test_predict_video_on_a_real_file_without_importing_tensorflow(
    exports, mini_classifier, test_video, class_names, tmp_path, video_writer
):
    videos = [test_video, video_writer(tmp_path / "other.avi", seed=1)]  # another top class
    out = _run_python(
        f"""
        import json, sys
        from dvfl_tf.runtime import TFLiteVideoClassifier
        classifier = TFLiteVideoClassifier({exports["int8"][0]!r})
        predictions = [classifier.predict_video(video, top_k=3) for video in {videos!r}]
        print(json.dumps({{"predictions": predictions, "backend": classifier.backend,
                          "tf": [m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "keras"))]}}))
        """
    )
    result = json.loads(out.strip().splitlines()[-1])
    # The probabilities of the float Keras model on the same decoded frames (the runtime's own preprocessing).
    from dvfl_tf.runtime.preprocessing import clip_from_video

    classifier = TFLiteVideoClassifier(exports["int8"][0])
    clips = [clip_from_video(v, classifier.num_frames, classifier.image_size, classifier.resize_size) for v in videos]
    reference = _keras_probabilities(mini_classifier, clips)
    predicted = np.array([[dict(p)[name] for name in class_names] for p in result["predictions"]])
    assert total_variation(reference, predicted).max() <= TV_P95
    assert [p[0][0] for p in result["predictions"]] == [class_names[i] for i in reference.argmax(1)]
    # The guard: the two videos' float probabilities differ by more than the bound, and from uniform.
    assert total_variation(reference[0], reference[1]) > TV_P95 and total_variation(reference, 1.0 / 3).min() > TV_P95
    result["predictions"] = [p[:2] for p in result["predictions"]][0]
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
