"""A run's training clips depend on its seed alone, not on what ran before it in the process."""

import numpy as np
import tensorflow as tf

from dvfl_tf.data.data_options import DataOptions
from dvfl_tf.training.run import TrainConfig
from dvfl_tf.training.workflows import seeded_training_datasets


def _first_batches(tiny_video_dataset, seed, count=2):
    options = DataOptions(dataset="synthetic", data_root=tiny_video_dataset, num_frames=4, image_size=32)
    config = TrainConfig(output="unused", seed=seed, batch_size=4)
    _, train, _, _, _ = seeded_training_datasets(config, options, validate=False)
    return [(clips.numpy(), targets.numpy()) for clips, targets in train.take(count)]


def test_the_training_stream_of_a_seed_does_not_depend_on_the_global_seed_left_by_an_earlier_run(tiny_video_dataset):
    tf.random.set_seed(123)  # as an earlier run in the same process would leave it
    after_other_run = _first_batches(tiny_video_dataset, seed=5)
    tf.random.set_seed(7)
    again = _first_batches(tiny_video_dataset, seed=5)
    for (clips_a, targets_a), (clips_b, targets_b) in zip(after_other_run, again, strict=True):
        np.testing.assert_array_equal(clips_a, clips_b)
        np.testing.assert_array_equal(targets_a, targets_b)
    # and the seed does choose the stream
    other_seed = _first_batches(tiny_video_dataset, seed=6, count=1)
    assert not np.array_equal(other_seed[0][0], after_other_run[0][0])
