"""A frame cache: every video decoded once into sharded TFRecords.

Layout of a cache folder:
  manifest.json                      settings (short side, image format) and the shard list
  shard-00000-of-00012.tfrecord      one `tf.train.Example` per video: encoded frames + metadata
  shard-00000-of-00012.json          where each video's record sits (byte offset, length), problems

A shard's .json is written last (after its .tfrecord is complete and renamed),
so a rerun skips finished shards and redoes only the interrupted one. The
per-video byte offsets let the training pipeline fetch any video's frames
directly, in the same order and with the same sampling as the raw-video path.
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from dvfl_tf.core.checks import check_ranges
from dvfl_tf.data.cache_settings import CACHE_DEFAULTS, CACHE_RANGES, IMAGE_FORMATS
from dvfl_tf.data.clip_views import resize_short_side
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.video_io import VideoDecodeError, read_video

FORMAT_VERSION = 1
_TFRECORD_HEADER = 12  # uint64 length + uint32 masked CRC before each record's data
_TFRECORD_FOOTER = 4


def cache_key(path):
    return os.path.realpath(str(path))


def _encode(frame_rgb, image_format, quality):
    bgr = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR)
    if image_format == "jpeg":
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    else:
        ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a frame as {image_format}")
    return data.tobytes()


def _video_example(tf, key, label, frames, image_format, quality):
    encoded = [_encode(frame, image_format, quality) for frame in frames]
    feature = {
        "path": tf.train.Feature(bytes_list=tf.train.BytesList(value=[key.encode("utf-8")])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
        "num_frames": tf.train.Feature(int64_list=tf.train.Int64List(value=[len(frames)])),
        "height": tf.train.Feature(int64_list=tf.train.Int64List(value=[frames.shape[1]])),
        "width": tf.train.Feature(int64_list=tf.train.Int64List(value=[frames.shape[2]])),
        "frames": tf.train.Feature(bytes_list=tf.train.BytesList(value=encoded)),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _videos_by_key(index):
    """Every video of every split, keyed by its cache key (a video listed in two splits is cached once)."""
    videos = {}
    for records in index.splits.values():
        for record in records:
            videos[cache_key(record.path)] = record
    return videos


def _write_manifest(output, settings, index, shard_names):
    """Write manifest.json; refuse a folder that holds a cache made with other settings."""
    manifest_path = os.path.join(output, "manifest.json")
    if os.path.isfile(manifest_path):
        with open(manifest_path, encoding="utf-8") as handle:
            previous = json.load(handle)
        mismatched = {k: (previous.get(k), v) for k, v in settings.items() if previous.get(k) != v}
        if mismatched:
            raise ValueError(
                f"{output} holds a cache made with other settings {mismatched} (old, new); "
                "use another --output or delete it"
            )
    with open(manifest_path, "w", encoding="utf-8") as handle:
        json.dump(
            {**settings, "dataset": index.name, "class_names": index.class_names, "shards": shard_names},
            handle,
            indent=1,
        )


def _write_shard(output, shard_name, shard_keys, videos, decoded, bar, image_format, quality):
    """Write one shard's .tfrecord, then its .json index (each renamed into place when complete).

    `decoded` yields (frames, problem) for `shard_keys` in order. Returns (videos written, problems).
    """
    record_path = os.path.join(output, shard_name + ".tfrecord")
    index_path = os.path.join(output, shard_name + ".json")
    partial_path = record_path + ".partial"
    entries, shard_problems, offset = {}, [], 0
    with tf.io.TFRecordWriter(partial_path) as writer:
        for key, (frames, problem) in zip(shard_keys, decoded, strict=True):
            bar.update(1)
            if problem is not None:
                shard_problems.append(problem)
                continue
            data = _video_example(tf, key, videos[key].label, frames, image_format, quality)
            writer.write(data)
            entries[key] = {
                "offset": offset + _TFRECORD_HEADER,
                "length": len(data),
                "num_frames": len(frames),
                "label": videos[key].label,
            }
            offset += _TFRECORD_HEADER + len(data) + _TFRECORD_FOOTER
    os.replace(partial_path, record_path)
    with open(index_path + ".partial", "w", encoding="utf-8") as handle:
        json.dump({"videos": entries, "problems": shard_problems}, handle)
    os.replace(index_path + ".partial", index_path)
    return len(entries), shard_problems


def _fill_shards(output, shard_names, keys, videos, bar, short_side, image_format, quality, videos_per_shard, workers):
    """Write the shards an earlier run did not finish. Returns (shards already done, videos written, problems)."""
    done_shards = written = 0
    problems = []

    def decode(key):
        try:
            return read_video(videos[key].path, short_side=short_side), None
        except VideoDecodeError as error:
            return None, {"path": videos[key].path, "reason": error.reason}

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for shard_id, shard_name in enumerate(shard_names):
            shard_keys = keys[shard_id * videos_per_shard : (shard_id + 1) * videos_per_shard]
            index_path = os.path.join(output, shard_name + ".json")
            if os.path.isfile(index_path):  # finished by an earlier run
                with open(index_path, encoding="utf-8") as handle:
                    problems.extend(json.load(handle)["problems"])
                done_shards += 1
                bar.update(len(shard_keys))
                continue
            # cv2 releases the GIL while decoding, so threads overlap the decodes.
            decoded = pool.map(decode, shard_keys)
            shard_written, shard_problems = _write_shard(
                output, shard_name, shard_keys, videos, decoded, bar, image_format, quality
            )
            written += shard_written
            problems.extend(shard_problems)
    return done_shards, written, problems


def prepare_cache(
    dataset,
    data_root,
    output,
    split=None,
    split_dir=None,
    short_side=CACHE_DEFAULTS["short_side"],
    image_format=CACHE_DEFAULTS["image_format"],
    quality=CACHE_DEFAULTS["quality"],
    videos_per_shard=CACHE_DEFAULTS["videos_per_shard"],
    workers=CACHE_DEFAULTS["workers"],
    progress=True,
    index=None,
    **index_kwargs,
):
    """Decode every video of every split into `output` (resumable). Returns a summary dict."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"image_format must be one of {IMAGE_FORMATS}. Received: image_format={image_format!r}")
    settings = {"short_side": short_side, "quality": quality, "videos_per_shard": videos_per_shard, "workers": workers}
    check_ranges(settings, CACHE_RANGES)
    if index is None:
        index = load_index(dataset, data_root, split=split, split_dir=split_dir, **index_kwargs)
    videos = _videos_by_key(index)
    keys = sorted(videos)
    num_shards = max(1, -(-len(keys) // videos_per_shard))
    os.makedirs(output, exist_ok=True)
    settings = {
        "format_version": FORMAT_VERSION,
        "short_side": short_side,
        "image_format": image_format,
        "quality": quality,
        "videos_per_shard": videos_per_shard,
        "num_shards": num_shards,
        "num_videos": len(keys),
    }
    shard_names = [f"shard-{i:05d}-of-{num_shards:05d}" for i in range(num_shards)]
    _write_manifest(output, settings, index, shard_names)

    bar = tqdm(total=len(keys), desc="prepare", unit="video", disable=None if progress else True)  # None: terminal only
    done_shards, written, problems = _fill_shards(
        output, shard_names, keys, videos, bar, short_side, image_format, quality, videos_per_shard, workers
    )
    bar.close()
    return {
        "output": output,
        "num_videos": len(keys),
        "written_now": written,
        "shards": num_shards,
        "shards_already_done": done_shards,
        "problems": problems,
    }


class FrameCache:
    """Random access to the videos of a prepared cache folder."""

    def __init__(self, cache_dir):
        manifest_path = os.path.join(cache_dir, "manifest.json")
        if not os.path.isfile(manifest_path):
            raise FileNotFoundError(f"Not a frame cache: expected {manifest_path} (made by `dvfl-tf prepare`)")
        with open(manifest_path, encoding="utf-8") as handle:
            self.manifest = json.load(handle)
        self.cache_dir = cache_dir
        self.short_side = self.manifest["short_side"]
        self.entries = {}
        for shard_name in self.manifest["shards"]:
            index_path = os.path.join(cache_dir, shard_name + ".json")
            if not os.path.isfile(index_path):
                continue  # an unfinished shard: its videos are read from the raw files
            with open(index_path, encoding="utf-8") as handle:
                for key, entry in json.load(handle)["videos"].items():
                    self.entries[key] = (os.path.join(cache_dir, shard_name + ".tfrecord"), entry)

    def __contains__(self, path):
        return cache_key(path) in self.entries

    def _example(self, path):
        record_path, entry = self.entries[cache_key(path)]
        with open(record_path, "rb") as handle:
            handle.seek(entry["offset"])
            data = handle.read(entry["length"])
        return tf.train.Example.FromString(data).features.feature

    def read_frames(self, path, choose_indices, short_side=None):
        """As `video_io.read_frames`, from the cache: (frames, indices, num_video_frames)."""
        feature = self._example(path)
        encoded = feature["frames"].bytes_list.value
        indices = np.asarray(choose_indices(len(encoded)), dtype=np.int64)
        decoded = {}
        for i in set(int(i) for i in indices):
            bgr = cv2.imdecode(np.frombuffer(encoded[i], np.uint8), cv2.IMREAD_COLOR)
            if bgr is None:
                raise VideoDecodeError(path, f"cached frame {i} cannot be decoded")
            decoded[i] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        frames = np.stack([decoded[int(i)] for i in indices])
        if short_side is not None and short_side != self.short_side:
            frames = resize_short_side(frames, short_side)
        return frames, indices, len(encoded)
