#!/usr/bin/env python3
"""Live action recognition on a video file or a camera with an exported `.tflite` model, no TensorFlow.

A stream file (`dvfl-tf export-tflite --stream`, a causal model) runs frame by
frame: each frame (every `--stride`-th) is centre-cropped and fed with the
carried states, and the action for the frames so far is printed at once
(`--horizon N`: averaged over about the last N steps instead of all).

A clip file runs on a sliding window: the last `--window` frames are kept;
every `--stride` frames the model's `num_frames` are sampled evenly from the
window (the evaluation sampling), centre-cropped, classified, and the current
action is printed, optionally averaged over the last `--smooth` windows.

    python mobile/stream_predict.py --model student_stream_int8.tflite --video clip.mp4
    python mobile/stream_predict.py --model student_int8.tflite --camera 0

Needs only numpy, opencv-python(-headless) and ai-edge-litert (or tflite-runtime).
"""

import argparse
import collections
import os
import sys
import time

import cv2
import numpy as np

from dvfl_tf.runtime import TFLiteVideoClassifier, load_metadata
from dvfl_tf.runtime.stream import STREAM_FORMAT, TFLiteStreamClassifier, stream_predictions


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="An exported .tflite video classifier.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--video", help="A video file.")
    source.add_argument("--camera", type=int, help="Camera index for cv2.VideoCapture.")
    parser.add_argument("--labels", help="Class names overriding those stored in the model.")
    parser.add_argument(
        "--window", type=int, default=None, help="Frames in the window (default: 4 x the model's frames)."
    )
    parser.add_argument(
        "--stride",
        type=int,
        default=None,
        help="Frames between predictions (default: the model's frames; stream files: 1, every frame fed).",
    )
    parser.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="Stream files: average over about the last N steps (default: every step so far).",
    )
    parser.add_argument("--smooth", type=int, default=1, help="Average probabilities over this many windows.")
    parser.add_argument("--threads", type=int, default=None, help="Interpreter threads.")
    parser.add_argument("--max-frames", type=int, default=None, help="Stop after this many frames.")
    return parser.parse_args(argv)


def stream_frames(args, out=sys.stdout):
    """Stream file: one step per fed frame (per tubelet), printed as it completes."""
    classifier = TFLiteStreamClassifier(
        args.model, labels_path=args.labels, num_threads=args.threads, horizon=args.horizon
    )
    source = args.video if args.video is not None else args.camera
    predictions = 0
    try:
        for step in stream_predictions(classifier, source, stride=args.stride or 1, max_frames=args.max_frames):
            label, probability = classifier.top_k(step["probabilities"], 1)[0]
            predictions += 1
            print(
                f"t={step['time_s']:7.2f}s  {label:<30s} {probability:6.1%}  ({step['step_ms']:.1f} ms)",
                file=out,
                flush=True,
            )
    except (FileNotFoundError, OSError) as error:
        raise SystemExit(str(error)) from None
    return predictions


def stream(args, out=sys.stdout):
    if load_metadata(args.model).get("format") == STREAM_FORMAT:
        return stream_frames(args, out)
    classifier = TFLiteVideoClassifier(args.model, labels_path=args.labels, num_threads=args.threads)
    window_size = args.window or 4 * classifier.num_frames
    stride = args.stride or classifier.num_frames
    if window_size < 1 or stride < 1:
        raise SystemExit("--window and --stride must be positive")
    capture = cv2.VideoCapture(args.video if args.video is not None else args.camera)
    if not capture.isOpened():
        raise SystemExit(f"Cannot open {'video ' + args.video if args.video else f'camera {args.camera}'}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    short_side = classifier.resize_size  # the model's own (its metadata), else 256/224 of the crop
    window = collections.deque(maxlen=window_size)
    recent = collections.deque(maxlen=max(args.smooth, 1))
    count = predictions = 0
    try:
        while args.max_frames is None or count < args.max_frames:
            ok, frame_bgr = capture.read()
            if not ok:
                break
            count += 1
            # Shrink each frame once as it arrives: the window holds small frames only.
            height, width = frame_bgr.shape[:2]
            scale = short_side / min(height, width)
            frame = cv2.resize(
                frame_bgr,
                (max(1, round(width * scale)), max(1, round(height * scale))),
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            )
            window.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if len(window) < min(window_size, classifier.num_frames) or count % stride:
                continue
            start = time.perf_counter()
            recent.append(classifier.predict_clip(classifier.clip_from_frames(np.stack(window))))
            elapsed_ms = (time.perf_counter() - start) * 1000
            label, probability = classifier.top_k(np.mean(recent, axis=0), 1)[0]
            predictions += 1
            print(
                f"t={count / fps:7.2f}s  {label:<30s} {probability:6.1%}  ({elapsed_ms:.0f} ms)", file=out, flush=True
            )
    finally:
        capture.release()
    return predictions


def main(argv=None):
    args = parse_args(argv)
    if not os.path.exists(args.model):
        raise SystemExit(f"No such model file: {args.model}")
    if stream(args) == 0:
        print("No prediction: the stream ended before the first window filled.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
