"""Calibration and verification clips drawn from a real (folder) dataset of OpenCV-written videos."""

import numpy as np
import pytest

from dvfl_tf.export.calibration import dataset_clips


@pytest.fixture
def folder_dataset(make_folder_dataset):
    return make_folder_dataset({"train": 4, "test": 2})


def test_calibration_clips_come_from_every_class_not_the_first_records(folder_dataset):
    # 6 of 12 train videos: the first 6 records would be "jump" and "run" only.
    clips = dataset_clips("folder", str(folder_dataset), 4, 16, num_calibration=6, num_verify=3)
    assert len(clips.calibration) == 6 and set(clips.calibration_labels) == {0, 1, 2}
    assert all(clip.shape == (4, 16, 16, 3) and clip.dtype == np.float32 for clip in clips.calibration)
    assert len(clips.verify) == 3 and all(label in (0, 1, 2) for _, label in clips.verify)
    assert clips.class_names == sorted(path.name for path in (folder_dataset / "train").iterdir())
    assert "6 clips of folder" in clips.description and not clips.skipped


def test_unusable_videos_are_named_and_skipped(folder_dataset):
    (folder_dataset / "train" / "run" / "run_1.avi").write_bytes(b"not a video")
    clips = dataset_clips("folder", str(folder_dataset), 4, 16, num_calibration=12, num_verify=6)
    assert len(clips.calibration) == 11
    assert len(clips.skipped) == 1 and "run_1.avi" in clips.skipped[0]
