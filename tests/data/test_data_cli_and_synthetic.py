import json
import os

import numpy as np
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.data.check import check_data
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.synthetic import CLASS_POOL, ensure_synthetic, render_video
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
    result = CliRunner().invoke(main, ["check-data", "--dataset", "list", "--data-root", str(tmp_path),
                                       "--list", "train"])
    assert result.exit_code != 0 and "NAME=PATH" in result.output


def test_cli_help_lists_data_commands():
    result = CliRunner().invoke(main, ["--help"])
    for command in ("make-synthetic", "check-data", "prepare"):
        assert command in result.output
    assert "--data-root" in CliRunner().invoke(main, ["prepare", "--help"]).output


def test_make_synthetic_writes_real_videos_in_hmdb51_layout(tmp_path):
    out = str(tmp_path / "syn")
    result = CliRunner().invoke(main, ["make-synthetic", "--output", out, "--num-classes", "3", "--train-per-class",
                                       "2", "--test-per-class", "1", "--image-size", "32", "--num-frames", "8"])
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
    index = load_index("synthetic", None, num_classes=2, train_per_class=1, test_per_class=1, unused_per_class=0,
                       image_size=32, num_frames=6)
    assert index.num_classes == 2 and all(r.path.startswith(str(tmp_path / "cache")) for r in index.records("train"))


def test_synthetic_motion_is_the_class_not_the_frame():
    # A "move" video: the shape's centre of change travels along the class direction.
    size, frames = 64, 12
    for spec in (CLASS_POOL[0], CLASS_POOL[2]):  # 0 degrees (right), 90 degrees (up)
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
