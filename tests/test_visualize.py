"""`dvfl-tf visualize`: the focal modulators equal the official model's, pictures are written, video = its clip."""

import json
import os
import pathlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from dvfl_tf.cli import main

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
# The official modulators are float32 tensors of magnitude up to ~2: this is float32 rounding of another order.
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def official_modulators_dir():
    """../shared/official_modulators/tiny beside the clone (DVFL_OFFICIAL_MODULATORS_DIR overrides the parent)."""
    root = pathlib.Path(
        os.environ.get("DVFL_OFFICIAL_MODULATORS_DIR", REPO_ROOT.parent / "shared" / "official_modulators")
    )
    folder = root / "tiny"
    for name in ("checkpoint.pth", "input_btchw.npy", "modulators.npz", "meta.json"):
        if not (folder / name).exists():
            pytest.fail(f"Official modulator fixture missing: {folder / name} (set DVFL_OFFICIAL_MODULATORS_DIR)")
    return folder


@pytest.fixture(scope="module")
def tiny_files(official_modulators_dir, tmp_path_factory):
    """(checkpoint.pth, its official constructor config .json, the converted .keras) of the tiny fixture."""
    from dvfl_tf.convert import convert_checkpoint

    folder = tmp_path_factory.mktemp("tiny")
    config = folder / "config.json"
    config.write_text(json.dumps(json.loads((official_modulators_dir / "meta.json").read_text())["config"]))
    model = folder / "tiny.keras"
    convert_checkpoint(
        str(official_modulators_dir / "checkpoint.pth"),
        str(model),
        official_config=str(config),
        verify_input=str(official_modulators_dir / "input_btchw.npy"),
        verify_logits=str(official_modulators_dir / "logits.npy"),
    )
    return official_modulators_dir / "checkpoint.pth", config, model


def _run(args):
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def _assert_official(npz_path, reference_path):
    reference = np.load(reference_path)
    ours = np.load(npz_path)
    assert sorted(ours.files) == sorted(reference.files)
    assert len(reference.files) == 16  # 4 stages x 1 block x 4 tensors
    for key in reference.files:
        assert ours[key].shape == reference[key].shape, key
        assert ours[key].dtype == np.float32, key
        difference = float(np.max(np.abs(ours[key] - reference[key])))
        assert difference <= TOLERANCE, f"{key}: max-abs difference {difference}"


def _pixels(path):
    with Image.open(path) as image:
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
        return frames


@pytest.mark.parametrize("model_kind", ["keras", "pth"])
def test_visualize_reproduces_the_official_modulators(official_modulators_dir, tiny_files, tmp_path, model_kind):
    checkpoint, config, keras_file = tiny_files
    model_args = (
        ["--model", str(keras_file)] if model_kind == "keras" else ["--model", str(checkpoint), "--config", str(config)]
    )
    output = tmp_path / "out"
    code, text = _run(
        ["visualize", "--input-npy", str(official_modulators_dir / "input_btchw.npy"), *model_args, "--arrays"]
        + ["--output", str(output)]
    )
    assert code == 0, text
    _assert_official(output / "modulators.npz", official_modulators_dir / "modulators.npz")

    png = _pixels(output / "modulators.png")
    assert len(png) == 1 and png[0].ndim == 3 and png[0].std() > 10  # a picture, not a blank canvas
    gif = _pixels(output / "modulators.gif")
    assert len(gif) == 4  # one picture per frame of the clip
    assert all(frame.shape == gif[0].shape for frame in gif)
    assert any(np.any(frame != gif[0]) for frame in gif[1:])  # the frames differ: the clip moves

    again = _run(
        ["visualize", "--input-npy", str(official_modulators_dir / "input_btchw.npy"), *model_args]
        + ["--output", str(output)]
    )
    assert again[0] == 1 and "exists; pass --overwrite" in again[1]


def test_a_video_gives_the_pictures_of_its_clip(tiny_files, tmp_path):
    from dvfl_tf.data.video_io import write_video
    from dvfl_tf.evaluation.visualize import load_classifier, visualize
    from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import IMAGENET_MEAN_RGB, IMAGENET_STD_RGB
    from dvfl_tf.runtime.preprocessing import clip_from_video, short_side_for

    _, _, keras_file = tiny_files
    rng = np.random.default_rng(0)
    # A moving bright square on noise, 90x120 (resized and centre-cropped to 64x64), 10 frames (4 sampled).
    frames = rng.integers(0, 60, (10, 90, 120, 3), dtype=np.uint8)
    for t in range(10):
        frames[t, 30:60, 10 + 8 * t : 40 + 8 * t] = (250, 200, 40)
    video = str(write_video(str(tmp_path / "clip.avi"), frames))

    from_video = tmp_path / "from_video"
    code, text = _run(["visualize", video, "--model", str(keras_file), "--blocks", "0.0,3.0", "--arrays"])
    assert code == 2 and "--output" in text
    code, text = _run(
        ["visualize", video, "--model", str(keras_file), "--blocks", "0.0,3.0", "--arrays", "--output", str(from_video)]
    )
    assert code == 0, text

    # The clip the video gives (the evaluation preprocessing of `predict`), drawn by the library.
    clip = clip_from_video(video, 4, 64, short_side_for(64))
    model = load_classifier(str(keras_file))
    from_clip = tmp_path / "from_clip"
    visualize(model, clip[None], str(from_clip), blocks="0.0,3.0", arrays=True)
    for name in ("modulators.png", "modulators.gif"):
        video_pictures, clip_pictures = _pixels(from_video / name), _pixels(from_clip / name)
        assert len(video_pictures) == len(clip_pictures)
        for a, b in zip(video_pictures, clip_pictures):
            np.testing.assert_array_equal(a, b)

    # The same clip as an official-layout normalised array gives the same tensors.
    normalised = (clip - np.asarray(IMAGENET_MEAN_RGB, np.float32)) / np.asarray(IMAGENET_STD_RGB, np.float32)
    npy = tmp_path / "clip_btchw.npy"
    np.save(npy, np.transpose(normalised, (0, 3, 1, 2))[None].astype(np.float32))
    from_npy = tmp_path / "from_npy"
    code, text = _run(
        ["visualize", "--input-npy", str(npy), "--model", str(keras_file), "--arrays", "--output", str(from_npy)]
    )
    assert code == 0, text
    _assert_official(from_npy / "modulators.npz", from_video / "modulators.npz")


def test_visualize_bad_inputs_are_one_line(tiny_files, tmp_path):
    checkpoint, config, keras_file = tiny_files
    output = ["--output", str(tmp_path / "out")]

    code, text = _run(["visualize", "--model", str(keras_file), *output])
    assert code == 2 and "exactly one of VIDEO or --input-npy" in text

    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((1, 4, 64, 64, 3), np.float32))  # channels-last: not the official layout
    code, text = _run(["visualize", "--input-npy", str(wrong), "--model", str(keras_file), *output])
    assert code == 1 and str(wrong) in text and "(batch, 4, 3, 64, 64)" in text
    assert len(text.strip().splitlines()) == 1 and "Traceback" not in text

    npy = tmp_path / "ok.npy"
    np.save(npy, np.zeros((1, 4, 3, 64, 64), np.float32))
    code, text = _run(["visualize", "--input-npy", str(npy), "--model", str(keras_file), "--blocks", "5.0", *output])
    assert code == 1 and "No block '5.0'" in text and "layers.3.blocks.0" in text

    code, text = _run(["visualize", "--input-npy", str(npy), "--model", str(checkpoint), *output])
    assert code == 1 and "exactly one of --preset or --config" in text

    code, text = _run(
        ["visualize", "--input-npy", str(npy), "--model", str(keras_file), "--config", str(config), *output]
    )
    assert code == 1 and "--config: for an official .pth model only" in text
    assert not (tmp_path / "out").exists()  # nothing written on a refusal
