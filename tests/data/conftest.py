"""Builders of small real video trees in each dataset's official layout."""

import json
import os

import numpy as np
import pytest

from dvfl_tf.data.video_io import write_video


def frame_marker_video(num_frames=12, height=40, width=56):
    """Uniform frames whose red channel encodes the frame index (10 + 12 i, up to 20 frames) and whose
    green/blue are fixed, so decoding order, colour order and sampling can be read back."""
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    for i in range(num_frames):
        frames[i, ..., 0] = 10 + 12 * i
        frames[i, ..., 1] = 128
        frames[i, ..., 2] = 30
    return frames


def marker_index(frame):
    return int(round((float(np.mean(frame[..., 0])) - 10) / 12))


def write_marker_video(path, num_frames=12, height=40, width=56):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return write_video(path, frame_marker_video(num_frames, height, width))


def make_hmdb51_tree(root, classes=("brush_hair", "cartwheel", "catch"), per_class=4, num_frames=10):
    """HMDB51 layout; in split 1 the first half of each class is train (1), then test (2),
    the last video unused (0)."""
    split_dir = os.path.join(root, "testTrainMulti_7030_splits")
    os.makedirs(split_dir, exist_ok=True)
    for class_name in classes:
        names = [f"{class_name}_video_{i}.avi" for i in range(per_class)]
        for name in names:
            write_marker_video(os.path.join(root, class_name, name), num_frames=num_frames)
        for split in (1, 2, 3):
            with open(os.path.join(split_dir, f"{class_name}_test_split{split}.txt"), "w") as handle:
                for i, name in enumerate(names):
                    if split == 1:
                        tag = 0 if i == per_class - 1 else (1 if i < per_class // 2 else 2)
                    else:
                        tag = 2 if i == 0 else 1
                    handle.write(f"{name} {tag} \n")
    return root


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(data, handle)


@pytest.fixture
def hmdb51_tree(tmp_path):
    return make_hmdb51_tree(str(tmp_path / "hmdb51"))


@pytest.fixture
def helpers():
    class Helpers:
        pass

    h = Helpers()
    h.write_marker_video = write_marker_video
    h.frame_marker_video = frame_marker_video
    h.marker_index = marker_index
    h.make_hmdb51_tree = make_hmdb51_tree
    h.write_json = write_json
    return h
