"""Stream `.tflite` files (export-tflite --stream): LiteRT step by step, the int8 file's layout, the runtime and CLI."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests.model_testing import random_clips

# dim 16, 32x32, 4 frames, two stages: both temporal kernels (3, 5), downsampling, pooling.
STREAM_CONFIG = {
    "embed_dim": 16,
    "depths": [1, 1],
    "focal_levels": [2, 2],
    "focal_windows": [3, 3],
    "num_frames": 4,
    "image_size": 32,
    "causal": True,
}
CLASS_NAMES = ["walk", "run", "jump"]


def _causal_classifier(**overrides):
    import keras

    from tests.model_testing import tiny_classifier

    keras.utils.set_random_seed(0)
    return tiny_classifier(num_classes=len(CLASS_NAMES), **{**STREAM_CONFIG, **overrides})


@pytest.fixture(scope="session")
def causal_classifier():
    """The causal classifier, its logits of a real scale (spread ~3) on random clips (`give_real_scale`)."""
    from tests.model_testing import give_real_scale

    return give_real_scale(_causal_classifier(), random_clips(64, 4, 32, seed=11))


@pytest.fixture(scope="session")
def stream_exports(causal_classifier, tmp_path_factory):
    """{mode: (path, report)}: float32 and int8 stream files of `causal_classifier`."""
    from dvfl_tf.export.stream_exporter import export_stream_tflite

    folder = tmp_path_factory.mktemp("stream")
    result = {}
    for mode in ("float32", "int8"):
        path = folder / f"stream_{mode}.tflite"
        report = export_stream_tflite(
            causal_classifier,
            path,
            mode=mode,
            class_names=CLASS_NAMES,
            calibration_clips=random_clips(8, 4, 32, seed=5),
            verify_clips=random_clips(2, 4, 32, seed=6),
        )
        result[mode] = (str(path), report)
    return result


def _clip_logits_on_prefix(model, clip, frames):
    import keras

    config = {k: v for k, v in model.backbone.get_config().items() if k not in ("name", "trainable")}
    prefix = _causal_classifier(**{**config, "num_frames": frames})
    prefix.set_weights(model.get_weights())
    return keras.ops.convert_to_numpy(prefix(clip[None, :frames]))[0]


def test_float32_stream_file_equals_causal_clip_model_at_every_step(stream_exports, causal_classifier):
    from dvfl_tf.runtime import TFLiteStreamClassifier

    classifier = TFLiteStreamClassifier(stream_exports["float32"][0])
    clip = random_clips(1, 4, 32, seed=7)[0]
    streamed = classifier.stream_clip_logits(clip)  # LiteRT, one frame per invoke
    assert streamed.shape == (4, 3)
    for step in range(4):
        np.testing.assert_allclose(
            streamed[step], _clip_logits_on_prefix(causal_classifier, clip, step + 1), atol=1e-4, rtol=0
        )


def test_int8_stream_file_is_integer_4d_batch_one_and_builtin(stream_exports):
    from dvfl_tf.export import tflite_graph

    path, report = stream_exports["int8"]
    with open(path, "rb") as f:
        graph = tflite_graph.inspect_graph(f.read())
    assert tflite_graph.mobile_violations(graph) == []  # builtin ops only, no CONV_3D, rank <= 4
    assert max(len(t["shape"]) for t in graph["tensors"]) <= 4
    activations = [t for t in graph["tensors"] if not t["constant"] and len(t["shape"]) >= 2]
    assert activations and all(t["shape"][0] == 1 for t in activations)
    assert all(op["custom_code"] is None for op in graph["ops"])
    tensors = graph["tensors"]
    io = [tensors[i] for i in graph["inputs"] + graph["outputs"]]
    assert {t["type"] for t in io} == {"INT8"}
    assert tflite_graph.float_islands(graph)["float_ops"] == []
    assert report.fully_integer is True
    # frames, frame_weight, 3 states per block x 2 blocks, pooled mean; outputs: logits + the 7 states.
    assert len(graph["inputs"]) == 9 and len(graph["outputs"]) == 8


def test_stream_report_json_and_summary(stream_exports):
    from dvfl_tf.export import format_summary

    path, report = stream_exports["int8"]
    document = report.to_json()
    assert document["stream"] is True and "uint8_io" not in document and "input_details" not in document
    # 8 calibration clips of 4 frames, streamed a frame at a time.
    assert document["calibration"] == {"source": "clips given by the caller", "num_clips": 8, "num_steps": 32}
    assert document["latency_ms"] == document["verification"]["step_latency_ms"] > 0
    assert [entry["name"] for entry in document["inputs"]][:2] == ["frames", "frame_weight"]
    summary = format_summary(report).splitlines()
    assert summary[0] == f"{path}: stream model, int8"
    assert summary[3] == "  calibration: 8 clips streamed (32 steps), clips given by the caller"
    assert summary[-1].endswith("ms per step (median, this machine's CPU)")


def test_int8_states_feed_back_unchanged_and_reset(stream_exports):
    from dvfl_tf.runtime import TFLiteStreamClassifier

    classifier = TFLiteStreamClassifier(stream_exports["int8"][0])
    # Each state output has its input's scale and zero point: an app copies it back as it is.
    assert all(classifier._same_quantization)
    clip = random_clips(1, 4, 32, seed=8)[0]
    first = classifier.stream_clip_logits(clip)
    assert classifier.steps == 4 and any(np.any(s != s.flat[0]) for s in classifier._states)
    again = classifier.stream_clip_logits(clip)  # resets first
    np.testing.assert_array_equal(first, again)
    probabilities = classifier.predict_clip(clip)
    assert probabilities.shape == (3,) and np.isclose(probabilities.sum(), 1.0, atol=1e-5)


def test_int8_stream_follows_the_keras_model_at_the_logits_scale(stream_exports, causal_classifier):
    from dvfl_tf.runtime import TFLiteStreamClassifier

    clips = random_clips(16, 4, 32, seed=12)
    reference = np.asarray(causal_classifier(clips), np.float64)
    assert reference.std() > 1.0  # logits of a real scale: zeros or another clip's are ~3 away
    classifier = TFLiteStreamClassifier(stream_exports["int8"][0])
    streamed = np.stack([classifier.stream_clip_logits(clip)[-1] for clip in clips])  # after the last frame
    # int8 states carried over 4 steps: the last step's logits are within ~8% of the spread (measured ~0.25).
    bound = 0.15 * reference.std()
    assert np.abs(streamed - reference).mean() < bound
    assert stream_exports["int8"][1].verification["mean_abs_logit_diff"] < bound
    # The guard: zeros, or another clip's logits, break the same bound.
    assert np.abs(reference).mean() > bound and np.abs(np.roll(reference, 1, axis=0) - reference).mean() > bound


def test_metadata_names_inputs_states_and_outputs_in_order(stream_exports):
    from dvfl_tf.runtime import load_metadata

    metadata = load_metadata(stream_exports["int8"][0])
    assert metadata["format"] == "dvfl_tf.video_stream_classifier" and metadata["class_names"] == CLASS_NAMES
    inputs = [entry["name"] for entry in metadata["inputs"]]
    outputs = [entry["name"] for entry in metadata["outputs"]]
    assert inputs[:2] == ["frames", "frame_weight"] and inputs[-1] == "pool_mean"
    assert outputs == ["logits"] + [f"{name}_out" for name in inputs[2:]]
    for state, result in zip(metadata["inputs"][2:], metadata["outputs"][1:], strict=True):
        assert state["shape"] == result["shape"] and state["shape"][0] == 1
    assert metadata["inputs"][0]["shape"] == [1, 32, 32, 3] and metadata["tubelet_size"] == 1


def test_stream_prediction_on_a_real_video_without_tensorflow(stream_exports, test_video):
    code = f"""
        import json, sys
        from dvfl_tf.runtime.stream import TFLiteStreamClassifier, stream_predictions
        classifier = TFLiteStreamClassifier({stream_exports["int8"][0]!r}, horizon=4)
        steps = list(stream_predictions(classifier, {test_video!r}, stride=2))
        print(json.dumps({{"frames": [s["frame"] for s in steps], "steps": classifier.steps,
                          "tf": [m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "keras"))]}}))
    """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["tf"] == []
    assert out["frames"] == [1, 3, 5, 7, 9, 11] and out["steps"] == 6  # 12 frames, every second one


def test_predict_stream_cli_prints_every_step(stream_exports, test_video):
    from click.testing import CliRunner

    from dvfl_tf.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["predict", test_video, "--model", stream_exports["float32"][0], "--stream", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]  # stderr may carry log lines
    assert [line["frame"] for line in lines] == list(range(1, 13))
    assert all(line["label"] in CLASS_NAMES for line in lines)
    # A clip file is not a stream file: one clear line.
    other = runner.invoke(
        main, ["predict", test_video, "--model", stream_exports["float32"][0] + ".missing", "--stream"]
    )
    assert other.exit_code != 0 and "No such model file" in other.output


def test_predict_stream_refuses_a_clip_model_and_a_missing_camera(exports, stream_exports):
    from click.testing import CliRunner

    from dvfl_tf.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["predict", "clip.avi", "--model", exports["float32"][0], "--stream"])
    assert result.exit_code == 2 and "is not a stream model" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["predict", "97", "--model", stream_exports["float32"][0], "--stream"])
    assert result.exit_code == 2 and "Cannot open camera 97" in result.output


def test_export_cli_stream_refuses_a_non_causal_model(tmp_path, mini_classifier):
    from click.testing import CliRunner

    from dvfl_tf.cli import main

    path = str(tmp_path / "clip.keras")
    mini_classifier.save(path)
    result = CliRunner().invoke(main, ["export-tflite", path, "--stream", "-o", str(tmp_path / "s.tflite")])
    assert result.exit_code == 1 and "needs a causal backbone" in result.output
    assert not (tmp_path / "s.tflite").exists()
    result = CliRunner().invoke(
        main, ["export-tflite", path, "--stream", "--edgetpu", "-o", str(tmp_path / "s.tflite")]
    )
    assert result.exit_code == 2 and "--stream cannot be combined" in result.output


def test_benchmark_reports_per_frame_latency_of_a_stream_file(stream_exports, exports):
    from dvfl_tf.latency.compare import format_table
    from dvfl_tf.latency.harness import run_benchmarks

    records = run_benchmarks([stream_exports["int8"][0], exports["int8"][0]], threads=[1], runs=3, warmup=1)
    stream, clip = records
    assert stream.frames_per_invoke == 1 and stream.per_frame_ms == pytest.approx(stream.median_ms)
    assert clip.frames_per_invoke == 2 and clip.per_frame_ms is None
    assert "ms/frame (stream)" in format_table(records)


def test_int8_states_are_calibrated_on_the_values_they_hold_in_a_stream(stream_exports, causal_classifier):
    """Every int8 state's grid spans the float stream's values on new clips, neither clipped nor too coarse.

    A grid narrower than what a state holds later in a stream clips it, one much
    wider wastes its 255 steps: either way int8 loses precision step after step.
    (Each state input shares its output's grid, so calibrating on the first step
    only still passes here: the outputs of step 1 already span the range.)
    """
    from dvfl_tf.export.stream_exporter import stream_steps
    from dvfl_tf.runtime import TFLiteStreamClassifier

    classifier = TFLiteStreamClassifier(stream_exports["int8"][0])
    stream = causal_classifier.streaming_model()
    steps = [s for clip in random_clips(4, 4, 32, seed=9) for s in stream_steps(stream, clip, 1)]
    for entry, detail in zip(classifier.metadata["inputs"][2:], classifier._state_inputs):
        values = np.concatenate([step[entry["name"]].ravel() for step in steps[1:]])  # step 1's states are zeros
        scale, zero_point = detail["quantization"]
        low, high = (-128 - zero_point) * scale, (127 - zero_point) * scale
        clipped = np.mean((values < low - scale / 2) | (values > high + scale / 2))
        assert clipped < 0.01, f"{entry['name']}: {clipped:.1%} of its values lie outside the int8 grid"
        # The grid is not much wider than the values (calibration range within 2x of what the stream holds).
        assert (high - low) < 2 * (values.max() - values.min()) + 2 * scale, entry["name"]


def test_class_names_saved_with_the_model_travel_into_the_stream_file_and_predict(tmp_path, test_video):
    from click.testing import CliRunner

    from dvfl_tf.cli import main
    from dvfl_tf.runtime.model_metadata import load_metadata

    model = _causal_classifier()
    model.set_class_names(CLASS_NAMES)
    path = str(tmp_path / "causal.keras")
    model.save(path)
    runner = CliRunner()
    stream = str(tmp_path / "stream.tflite")
    result = runner.invoke(main, ["export-tflite", path, "--stream", "-o", stream])  # no --labels: the model's names
    assert result.exit_code == 0, result.output
    assert load_metadata(stream)["class_names"] == CLASS_NAMES
    assert json.load(open(stream + ".json"))["class_names"] == CLASS_NAMES
    result = runner.invoke(main, ["predict", test_video, "--model", stream, "--stream", "--json"])
    assert result.exit_code == 0, result.output
    labels = [json.loads(line)["label"] for line in result.stdout.strip().splitlines()]
    assert len(labels) == 12 and set(labels) <= set(CLASS_NAMES), labels
