import os

import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.data.cache import prepare_cache
from dvfl_tf.data.clip_config import ClipDatasetConfig
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.pipeline import clip_dataset, skipped_videos

SMALL = dict(num_frames=4, image_size=24, short_side=32)


def _epoch(ds):
    return [(clips.numpy(), targets.numpy()) for clips, targets in ds]


def test_training_batches_are_reproducible_per_seed_and_differ_per_epoch(hmdb51_tree):
    index = load_index("hmdb51", hmdb51_tree)
    records = index.records("train")

    def make(seed):
        return clip_dataset(
            records, index.num_classes, ClipDatasetConfig(training=True, batch_size=2, seed=seed, **SMALL)
        )

    ds = make(7)
    first, second = _epoch(ds), _epoch(ds)
    again = make(7)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, _epoch(again)))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(second, _epoch(again)))
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(first, second))
    assert len(first) == 3  # 6 videos, batch 2, drop remainder
    clips, targets = first[0]
    assert clips.shape == (2, 4, 24, 24, 3) and clips.dtype == np.float32
    assert 0.0 <= clips.min() and clips.max() <= 255.0
    assert np.array_equal(targets.sum(axis=1), [1.0, 1.0]) and set(np.unique(targets)) == {0.0, 1.0}
    labels = sorted(int(label) for _, t in first for label in t.argmax(axis=1))
    assert labels == sorted(r.label for r in records)


def test_training_samples_one_frame_per_segment(hmdb51_tree, helpers):
    index = load_index("hmdb51", hmdb51_tree)  # marker videos of 10 frames
    config = ClipDatasetConfig(training=True, batch_size=1, seed=1, augment=False, **SMALL)
    ds = clip_dataset(index.records("train"), index.num_classes, config)
    bounds = np.floor(np.linspace(0, 10, 5)).astype(int)
    for clips, _ in ds:
        frames = [helpers.marker_index(f) for f in clips.numpy()[0]]
        assert all(bounds[i] <= frames[i] < bounds[i + 1] for i in range(4))


def test_evaluation_centres_views_and_mixup_targets(hmdb51_tree, helpers):
    index = load_index("hmdb51", hmdb51_tree)
    test = index.records("test")
    ds = clip_dataset(test, index.num_classes, ClipDatasetConfig(training=False, batch_size=2, **SMALL))
    batches = _epoch(ds)
    assert [len(c) for c, _ in batches] == [2, 1]  # evaluation keeps the remainder
    assert [helpers.marker_index(f) for f in batches[0][0][0]] == [1, 3, 6, 8]
    dense_config = ClipDatasetConfig(training=False, batch_size=3, sampling="dense", frame_interval=2, **SMALL)
    dense = _epoch(clip_dataset(test, index.num_classes, dense_config))
    assert [helpers.marker_index(f) for f in dense[0][0][0]] == [2, 4, 6, 8]  # start at the centre of 0..3 (mmaction)
    multi = _epoch(
        clip_dataset(test, index.num_classes, ClipDatasetConfig(training=False, batch_size=3, views=(4, 3), **SMALL))
    )
    assert multi[0][0].shape == (3, 12, 4, 24, 24, 3)
    mixup_config = ClipDatasetConfig(training=True, batch_size=3, mixup=True, **SMALL)
    mixed = _epoch(clip_dataset(index.records("train"), index.num_classes, mixup_config))
    for _, targets in mixed:
        assert np.allclose(targets.sum(axis=1), 1.0, atol=1e-5) and targets.min() > 0  # smoothed
    with pytest.raises(ValueError, match="num_frames must be a positive integer. Received: num_frames=None"):
        clip_dataset(
            test, index.num_classes, ClipDatasetConfig(training=False, batch_size=2, num_frames=None, image_size=24)
        )
    with pytest.raises(ValueError, match="short_side must be >= image_size"):
        clip_dataset(
            test, index.num_classes, ClipDatasetConfig(training=False, batch_size=2, image_size=24, short_side=16)
        )
    with pytest.raises(ValueError, match="evaluation protocol"):
        clip_dataset(test, index.num_classes, ClipDatasetConfig(training=True, batch_size=2, views=(2, 3)))


def test_corrupt_videos_are_skipped_and_reported(hmdb51_tree, capfd):
    import cv2

    bad = os.path.join(hmdb51_tree, "cartwheel", "cartwheel_video_0.avi")
    with open(bad, "wb") as handle:
        handle.write(b"\x00garbage" * 50)
    zero = os.path.join(hmdb51_tree, "catch", "catch_video_1.avi")
    cv2.VideoWriter(zero, cv2.VideoWriter_fourcc(*"XVID"), 25, (32, 32)).release()
    index = load_index("hmdb51", hmdb51_tree)
    ds = clip_dataset(
        index.records("train"), index.num_classes, ClipDatasetConfig(training=True, batch_size=2, **SMALL)
    )
    batches = _epoch(ds)
    assert sum(len(c) for c, _ in batches) == 4  # 6 videos, 2 unusable
    assert "cannot open" in skipped_videos()[bad] and "no decodable frames" in skipped_videos()[zero]
    err = capfd.readouterr().err
    assert bad in err and zero in err and "2 of 6 videos skipped in this pass" in err


@pytest.mark.parametrize("image_format", ["png", "jpeg"])
def test_cache_gives_the_same_clips_as_raw_videos(hmdb51_tree, tmp_path, image_format):
    index = load_index("hmdb51", hmdb51_tree)
    cache = str(tmp_path / "cache")
    summary = prepare_cache(
        "hmdb51",
        hmdb51_tree,
        cache,
        short_side=32,
        image_format=image_format,
        quality=95,
        videos_per_shard=4,
        progress=False,
    )
    assert summary["num_videos"] == 9 and summary["shards"] == 3 and summary["written_now"] == 9
    # Resumable: a second run keeps finished shards and redoes only an unfinished one.
    os.remove(os.path.join(cache, "shard-00001-of-00003.json"))
    again = prepare_cache(
        "hmdb51",
        hmdb51_tree,
        cache,
        short_side=32,
        image_format=image_format,
        quality=95,
        videos_per_shard=4,
        progress=False,
    )
    assert again["shards_already_done"] == 2 and again["written_now"] == 4
    with pytest.raises(ValueError, match="other settings"):
        prepare_cache(
            "hmdb51", hmdb51_tree, cache, short_side=48, image_format=image_format, progress=False, videos_per_shard=4
        )
    kwargs = dict(training=True, batch_size=2, seed=3, mixup=True, **SMALL)
    raw = _epoch(clip_dataset(index.records("train"), index.num_classes, ClipDatasetConfig(**kwargs)))
    cached = _epoch(
        clip_dataset(index.records("train"), index.num_classes, ClipDatasetConfig(cache_dir=cache, **kwargs))
    )
    assert len(raw) == len(cached)
    for (raw_clips, raw_targets), (cache_clips, cache_targets) in zip(raw, cached):
        assert np.array_equal(raw_targets, cache_targets)
        if image_format == "png":  # lossless: identical clips
            assert np.array_equal(raw_clips, cache_clips)
        else:
            assert np.abs(raw_clips - cache_clips).mean() < 3.0


def test_input_context_shards_videos_and_splits_the_batch(hmdb51_tree):
    index = load_index("hmdb51", hmdb51_tree)
    records = index.records("train")
    seen = []
    for pipeline_id in (0, 1):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=pipeline_id, num_replicas_in_sync=2
        )
        batches = _epoch(
            clip_dataset(
                records,
                index.num_classes,
                ClipDatasetConfig(training=False, batch_size=4, **SMALL),
                input_context=context,
            )
        )
        assert max(len(c) for c, _ in batches) == 2
        seen.append(sum(len(c) for c, _ in batches))
    assert seen == [3, 3]


@pytest.mark.parametrize("mixup", [None, True], ids=["plain", "mixup"])
def test_a_stream_started_at_a_batch_reads_on_as_the_whole_stream(hmdb51_tree, mixup):
    """A resumed run's stream (start_batch) gives the batches the uninterrupted stream gives from there on."""
    index = load_index("hmdb51", hmdb51_tree)
    records = index.records("train")  # 6 videos, batch 2: 3 batches per pass

    def make(start_batch=0):
        config = ClipDatasetConfig(training=True, batch_size=2, seed=3, repeat=True, mixup=mixup, **SMALL)
        return clip_dataset(records, index.num_classes, config, start_batch=start_batch)

    whole = _epoch(make().take(9))
    for start in (1, 4):  # inside the first pass; inside the second
        resumed = _epoch(make(start).take(9 - start))
        for (clips, targets), (expected_clips, expected_targets) in zip(resumed, whole[start:], strict=True):
            np.testing.assert_array_equal(clips, expected_clips)
            np.testing.assert_array_equal(targets, expected_targets)
    # The guard: the batches differ from one another (a stream that restarted would not match).
    assert not np.array_equal(whole[0][0], whole[4][0]) and not np.array_equal(whole[1][0], whole[4][0])
    with pytest.raises(ValueError, match="Received: start_batch=-1"):
        make(-1)
