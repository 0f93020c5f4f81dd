"""Decode throughput of the input pipeline: clips/s of 8x224x224, raw videos vs the frame cache,
with 1 and 2 parallel decode calls.

Writes HMDB51-like test videos (320x240, XVID .avi, 25 fps) of moving shapes,
prepares a JPEG frame cache of them, then times `clip_dataset` (training
recipe: segment sampling + random resized crop/flip/jitter) for each setting.

    PYTHONPATH=. python tools/benchmark_decode.py [--videos 32] [--frames 90] [--repeats 3]

Figures depend on the machine and its load; record them with both.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_videos(folder, count, num_frames, width, height):
    from dvfl_tf.data.datasets import VideoRecord
    from dvfl_tf.data.synthetic import CLASS_POOL, render_video
    from dvfl_tf.data.video_io import write_video

    records = []
    for i in range(count):
        frames = render_video(CLASS_POOL[i % 8], np.random.default_rng(i), size=height, num_frames=num_frames)
        frames = np.stack([cv2.resize(f, (width, height)) for f in frames])
        path = os.path.join(folder, "videos", f"video_{i:03d}.avi")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_video(path, frames)
        records.append(VideoRecord(path, i % 8))
    return records


def time_pipeline(records, cache_dir, parallel, repeats, training):
    from dvfl_tf.data.clip_config import ClipDatasetConfig
    from dvfl_tf.data.pipeline import clip_dataset

    config = ClipDatasetConfig(
        num_frames=8,
        image_size=224,
        short_side=256,
        training=training,
        batch_size=1,
        seed=0,
        cache_dir=cache_dir,
        num_parallel_calls=parallel,
        prefetch=1,
    )
    ds = clip_dataset(records, 8, config)
    for _ in ds.take(2):  # warm-up: graph tracing, file cache
        pass
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = 0
        for clips, _ in ds:
            count += int(clips.shape[0])
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=32)
    parser.add_argument("--frames", type=int, default=90, help="frames per test video (HMDB51 averages ~90)")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", default=None, help="keep test videos and cache here (default: a temp dir)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import tensorflow  # noqa: F401  (imported before timing anything)

    from dvfl_tf.data.cache import prepare_cache
    from dvfl_tf.data.datasets import DatasetIndex

    workdir = args.workdir or tempfile.mkdtemp(prefix="dvfl-bench-")
    records = write_videos(workdir, args.videos, args.frames, args.width, args.height)
    cache_dir = os.path.join(workdir, "cache")
    index = DatasetIndex("bench", [str(i) for i in range(8)], {"train": records})
    start = time.perf_counter()
    prepare_cache(
        "bench",
        None,
        cache_dir,
        index=index,
        short_side=256,
        image_format="jpeg",
        quality=90,
        progress=False,
        workers=2,
    )
    prepare_seconds = time.perf_counter() - start

    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, OpenCV {cv2.__version__}")
    print(
        f"videos: {args.videos} x {args.frames} frames {args.width}x{args.height} XVID; "
        f"clips: 8x224x224 from short side 256, batch 1"
    )
    print(
        f"prepare (JPEG q90, short side 256, 2 threads): {prepare_seconds:.1f} s "
        f"= {args.videos / prepare_seconds:.1f} videos/s"
    )
    print("train = segment sampling + full augmentation; eval = centre frames + centre crop (decode-bound)")
    print(f"{'mode':6s} {'source':8s} {'parallel':>8s} {'median clips/s':>15s}   runs")
    for training in (True, False):
        for source, cache in (("raw", None), ("cache", cache_dir)):
            for parallel in (1, 2):
                median, rates = time_pipeline(records, cache, parallel, args.repeats, training)
                print(
                    f"{'train' if training else 'eval':6s} {source:8s} {parallel:8d} {median:15.1f}   "
                    f"{', '.join(f'{r:.1f}' for r in rates)}"
                )


if __name__ == "__main__":
    main()
