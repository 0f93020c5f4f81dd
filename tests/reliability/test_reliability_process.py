"""What only a real `python -m dvfl_tf` process shows: quiet start-up, --debug, per-epoch lines, class names
travelling from a training run through export to predict, and an export that refuses to replace its input."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TF_NOISE = (
    "absl::InitializeLog",
    "cudart_stub",
    "cpu_feature_guard",
    "oneDNN",
    "cuInit",
    "Captures:",
    "Saved artifact",
    "XNNPACK delegate",
    "fully_quantize",
    "Warning: ",  # Python's "path:line: UserWarning: ..." (dvfl-tf's own one-line warnings are not expected here)
    "[ WARN:",  # OpenCV
)


def dvfl(args, cwd, timeout=600):
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI's own default applies
    return subprocess.run(
        [sys.executable, "-m", "dvfl_tf", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from tests.model_testing import tiny_classifier

    folder = tmp_path_factory.mktemp("own_input")
    tiny_classifier(3, embed_dim=8, depths=[1], focal_levels=[2], focal_windows=[3], image_size=16, num_frames=2).save(
        str(folder / "m.keras")
    )
    return folder


def test_export_onto_its_input_fails_and_leaves_it_byte_identical_in_one_quiet_line(saved_model):
    before = _sha(saved_model / "m.keras")
    result = dvfl(["export-tflite", "m.keras", "-o", "m.keras", "--overwrite"], cwd=saved_model)
    assert result.returncode == 1
    assert _sha(saved_model / "m.keras") == before
    # One line in all: TensorFlow's start-up banners are hidden (quiet by default), no traceback.
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == ["Error: --output m.keras: the file written is .tflite; name it so"], lines


def test_debug_shows_the_traceback_of_a_user_error(saved_model):
    (saved_model / "cut.keras").write_bytes((saved_model / "m.keras").read_bytes()[:1000])
    quiet = dvfl(["export-tflite", "cut.keras", "-o", "cut.tflite"], cwd=saved_model)
    debug = dvfl(["export-tflite", "cut.keras", "-o", "cut.tflite", "--debug"], cwd=saved_model)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert quiet.stderr.strip() == "Error: cut.keras: not a .keras model (not a zip archive: truncated or corrupt)"
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "ModelFileError: cut.keras" in debug.stderr
    assert not (saved_model / "cut.tflite").exists()


def test_class_names_travel_from_training_to_export_to_predict_with_quiet_logs(tmp_path):
    import numpy as np

    from dvfl_tf.data import ensure_synthetic, load_index
    from dvfl_tf.data.video_io import write_video

    data = ensure_synthetic(
        str(tmp_path / "data"),
        num_classes=2,
        train_per_class=2,
        test_per_class=1,
        unused_per_class=0,
        image_size=32,
        num_frames=4,
    )
    names = load_index("hmdb51", data).class_names
    write_video(str(tmp_path / "clip.avi"), np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), np.uint8))
    # One stage: this test is about what the processes print and carry, not about depth.
    overrides = json.dumps({"embed_dim": 8, "depths": [1], "focal_levels": [2], "focal_windows": [3]})
    train = dvfl(
        [
            "train",
            "--dataset",
            "hmdb51",
            "--data-root",
            data,
            "--model",
            "vfl_net_nano",
            "--backbone-overrides",
            overrides,
            "--image-size",
            "32",
            "--num-frames",
            "4",
            "--batch-size",
            "2",
            "--epochs",
            "2",
            "--steps-per-epoch",
            "1",
            "--no-validation",
            "--output",
            "run",
        ],
        cwd=tmp_path,
    )
    assert train.returncode == 0, train.stderr[-2000:]
    # Not a terminal: plain per-epoch lines, no progress-bar redraws or ANSI codes.
    assert "Epoch 1/2" in train.stdout and "Epoch 2/2" in train.stdout
    assert "\r" not in train.stdout + train.stderr and "\x1b[" not in train.stdout + train.stderr
    assert not any(noise in train.stdout + train.stderr for noise in TF_NOISE)

    # A float export without a dataset carries the names saved in the .keras file.
    export = dvfl(["export-tflite", "run/best.keras", "-o", "m.tflite"], cwd=tmp_path)
    assert export.returncode == 0, export.stderr[-2000:]
    assert not any(noise in export.stdout + export.stderr for noise in TF_NOISE), export.stdout + export.stderr
    assert json.loads((tmp_path / "m.tflite.json").read_text())["class_names"] == names

    for model in ("m.tflite", "run/best.keras"):
        predict = dvfl(["predict", "clip.avi", "--model", model, "--json", "--top-k", "2"], cwd=tmp_path)
        assert predict.returncode == 0, predict.stderr[-2000:]
        labels = [label for label, _ in json.loads(predict.stdout.strip().splitlines()[-1])]
        assert sorted(labels) == sorted(names), (model, labels)
