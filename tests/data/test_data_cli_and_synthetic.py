import json
import os

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.data.check import check_data
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.synthetic import CLASS_POOL, SyntheticDatasetError, ensure_synthetic, render_video
from dvfl_tf.data.video_io import read_video


def test_check_data_json_names_exactly_the_corrupt_and_empty_videos(hmdb51_tree):
    corrupt = os.path.join(hmdb51_tree, "brush_hair", "brush_hair_video_1.avi")
    empty = os.path.join(hmdb51_tree, "catch", "catch_video_2.avi")
    with open(corrupt, "wb") as handle:
        handle.write(os.urandom(3000))
    open(empty, "wb").close()
    result = CliRunner().invoke(main, ["check-data", "--dataset", "hmdb51", "--data-root", hmdb51_tree, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["num_classes"] == 3
    assert report["splits"] == {"train": {"videos": 6, "usable": 5}, "test": {"videos": 3, "usable": 2}}
    assert sorted(p["path"] for p in report["problems"]) == sorted([corrupt, empty])
    reasons = {p["path"]: p["reason"] for p in report["problems"]}
    assert "empty file" in reasons[empty] and "cannot open" in reasons[corrupt]
    strict = CliRunner().invoke(main, ["check-data", "--dataset", "hmdb51", "--data-root", hmdb51_tree, "--strict"])
    assert strict.exit_code == 1 and corrupt in strict.output


def test_check_data_clean_tree_and_clear_layout_errors(hmdb51_tree, tmp_path):
    report = check_data("hmdb51", hmdb51_tree)
    assert report["problems"] == [] and report["num_videos"] == 9
    result = CliRunner().invoke(main, ["check-data", "--dataset", "ucf101", "--data-root", hmdb51_tree])
    assert result.exit_code == 1
    assert "Error:" in result.output and os.path.join(hmdb51_tree, "ucfTrainTestlist") in result.output
    result = CliRunner().invoke(
        main, ["check-data", "--dataset", "list", "--data-root", str(tmp_path), "--list", "train"]
    )
    assert result.exit_code != 0 and "NAME=PATH" in result.output


def test_cli_help_lists_data_commands():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("make-synthetic", "check-data", "prepare"):
        assert command in result.output
    assert "--data-root" in CliRunner().invoke(main, ["prepare", "--help"]).output


def test_make_synthetic_writes_real_videos_in_hmdb51_layout(tmp_path):
    out = str(tmp_path / "syn")
    result = CliRunner().invoke(
        main,
        [
            "make-synthetic",
            "--output",
            out,
            "--num-classes",
            "3",
            "--train-per-class",
            "2",
            "--test-per-class",
            "1",
            "--image-size",
            "32",
            "--num-frames",
            "8",
        ],
    )
    assert result.exit_code == 0, result.output
    index = load_index("hmdb51", out)
    assert index.name == "synthetic"  # so the pipeline keeps flipping off
    assert index.class_names == sorted(c["name"] for c in CLASS_POOL[:3])
    assert len(index.records("train")) == 6 and len(index.records("test")) == 3
    assert read_video(index.records("test")[0].path).shape == (8, 32, 32, 3)
    # The three official splits are different partitions.
    tests = [sorted(r.path for r in load_index("hmdb51", out, split=s).records("test")) for s in (1, 2, 3)]
    assert tests[0] != tests[1] or tests[1] != tests[2]
    # Generating again is a no-op; the synthetic loader reads the same tree.
    stamp = os.path.getmtime(os.path.join(out, "synthetic.json"))
    assert ensure_synthetic(out) == out and os.path.getmtime(os.path.join(out, "synthetic.json")) == stamp
    assert load_index("synthetic", out).counts() == index.counts()


def test_synthetic_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DVFL_TF_CACHE", str(tmp_path / "cache"))
    index = load_index(
        "synthetic",
        None,
        num_classes=2,
        train_per_class=1,
        test_per_class=1,
        unused_per_class=0,
        image_size=32,
        num_frames=6,
    )
    assert index.num_classes == 2 and all(r.path.startswith(str(tmp_path / "cache")) for r in index.records("train"))


def test_synthetic_pan_drifts_towards_the_class_angle():
    # The default classes: the whole scene drifts; phase correlation of consecutive
    # frames measures the shift (image y grows downwards, so 90 degrees is -y).
    size, frames = 64, 16
    pans = [spec for spec in CLASS_POOL[:8] if spec["kind"] == "pan"]
    assert len(pans) == 8
    for spec in pans:
        video = render_video(spec, np.random.default_rng(7), size, frames).astype(np.float32).mean(-1)
        shifts = np.array([cv2.phaseCorrelate(video[t], video[t + 1])[0] for t in range(frames - 1)])
        dx, dy = shifts.mean(axis=0)
        measured = np.degrees(np.arctan2(-dy, dx)) % 360
        assert abs((measured - spec["angle"] + 180) % 360 - 180) < 15, (spec["name"], dx, dy)
        # About 40% of the frame over the clip, i.e. ~1.7 pixels a frame at 64x64 and 16 frames.
        assert 1.0 < np.hypot(dx, dy) < 2.5, (spec["name"], dx, dy)
    # No single frame tells the class: the first frames of two classes are alike in their statistics.
    first = [render_video(spec, np.random.default_rng(7), size, frames)[0].astype(np.float32) for spec in pans[:2]]
    assert abs(first[0].mean() - first[1].mean()) < 30


def test_synthetic_motion_is_the_class_not_the_frame():
    # A "move" video: the shape's centre of change travels along the class direction.
    size, frames = 64, 12
    by_name = {spec["name"]: spec for spec in CLASS_POOL}
    for spec in (by_name["move_000deg"], by_name["move_090deg"]):  # right, up
        video = render_video(spec, np.random.default_rng(4), size, frames).astype(np.float32)
        # Changed pixels (above the per-frame noise) between the first and the last two frames.
        first = (np.abs(video[1] - video[0]).sum(-1) > 60).astype(np.float32)
        last = (np.abs(video[-1] - video[-2]).sum(-1) > 60).astype(np.float32)
        ys, xs = np.indices(first.shape)
        shift_x = (xs * last).sum() / last.sum() - (xs * first).sum() / first.sum()
        shift_y = (ys * last).sum() / last.sum() - (ys * first).sum() / first.sum()
        if spec["angle"] == 0:
            assert shift_x > 8 and abs(shift_y) < shift_x / 2
        else:
            assert -shift_y > 8 and abs(shift_x) < -shift_y / 2


def test_make_synthetic_refuses_a_dataset_made_with_other_options_unless_overwrite(tmp_path):
    out = str(tmp_path / "syn")
    small = ["--train-per-class", "1", "--test-per-class", "1", "--unused-per-class", "0"]
    small += ["--image-size", "16", "--num-frames", "4"]
    first = CliRunner().invoke(main, ["make-synthetic", "--output", out, "--num-classes", "3", *small])
    assert first.exit_code == 0 and "synthetic dataset ready:" in first.output, first.output
    marker = os.path.join(out, "synthetic.json")
    before = open(marker, "rb").read()

    again = CliRunner().invoke(main, ["make-synthetic", "--output", out, "--num-classes", "3", *small])
    assert again.exit_code == 0 and "synthetic dataset already there, made with these options:" in again.output
    assert "dataset ready" not in again.output

    other = CliRunner().invoke(main, ["make-synthetic", "--output", out, "--num-classes", "4", *small])
    assert other.exit_code == 1 and "dataset ready" not in other.output
    assert other.output.strip() == (
        f"Error: --output {out}: holds a synthetic dataset made with other options (num_classes 3, not 4); "
        "pass --overwrite to make it again with these, or choose another folder"
    )
    assert open(marker, "rb").read() == before
    with pytest.raises(SyntheticDatasetError, match=r"num_classes 3, not 4"):
        ensure_synthetic(out, num_classes=4)

    replaced = CliRunner().invoke(
        main, ["make-synthetic", "--output", out, "--num-classes", "4", "--overwrite", *small]
    )
    assert replaced.exit_code == 0 and "synthetic dataset ready:" in replaced.output, replaced.output
    assert json.load(open(marker))["options"]["num_classes"] == 4
    assert load_index("hmdb51", out).num_classes == 4
    assert [name for name in os.listdir(tmp_path) if name != "syn"] == []  # no staging folder left
