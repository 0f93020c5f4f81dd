"""A synthetic motion dataset: real video files in the HMDB51 layout.

Classes are defined by motion only, so no single frame tells the class. The
default classes are the direction in which a random textured scene drifts
through the frame (a camera pan, 8 directions 45 degrees apart); further
classes (up to MAX_CLASSES) move small shapes over a textured background,
rotate a bar, or make one of two shapes appear or vanish first. Neighbouring
classes are similar (directions 45 degrees apart, the same direction at two
speeds), which gives a teacher's soft labels something to say.

Why a drifting scene first: every part of the frame carries the motion, so
small models learn it within a few hundred steps (docs/data.md); with three small moving shapes instead, Video-FocalNets of a
few million parameters stayed at chance for the budget of the quickstart.

Videos are written with OpenCV (XVID .avi) together with official-format
`testTrainMulti_7030_splits/<class>_test_split{1,2,3}.txt` files, so the
`hmdb51` parser reads them like the real dataset.
"""

import json
import math
import os
import shutil
import tempfile

import cv2
import numpy as np
from tqdm import tqdm

from dvfl_tf.core.checks import Range, at_least, check_ranges
from dvfl_tf.core.errors import UserError
from dvfl_tf.data.video_io import write_video

FORMAT_VERSION = 4


def _class_pool():
    """Every class the generator knows, in order; the first `num_classes` are used."""
    pool = [{"name": f"pan_{angle:03d}deg", "kind": "pan", "angle": angle} for angle in range(0, 360, 45)]
    for angle in range(0, 360, 45):
        pool.append({"name": f"move_{angle:03d}deg", "kind": "move", "angle": angle, "speed": 1.0})
    pool.append({"name": "rotate_clockwise", "kind": "rotate", "direction": 1})
    pool.append({"name": "rotate_counterclockwise", "kind": "rotate", "direction": -1})
    for angle in (0, 90, 180, 270):
        pool.append({"name": f"move_{angle:03d}deg_fast", "kind": "move", "angle": angle, "speed": 2.0})
    pool.append({"name": "circle_appears_before_square", "kind": "appear", "first": "circle"})
    pool.append({"name": "square_appears_before_circle", "kind": "appear", "first": "square"})
    pool.append({"name": "circle_vanishes_before_square", "kind": "vanish", "first": "circle"})
    pool.append({"name": "square_vanishes_before_circle", "kind": "vanish", "first": "square"})
    return pool


CLASS_POOL = _class_pool()
MAX_CLASSES = len(CLASS_POOL)

DEFAULTS = {
    "num_classes": 8,
    "train_per_class": 24,
    "test_per_class": 25,
    "unused_per_class": 1,
    "image_size": 64,
    "num_frames": 16,
    "seed": 0,
}

# The allowed values of the size options (make-synthetic's options take their types from them).
SIZE_RANGES = {
    "num_classes": Range(min=2, max=MAX_CLASSES, integer=True),
    "train_per_class": at_least(1),
    "test_per_class": at_least(1),
    "unused_per_class": at_least(0),
    "image_size": at_least(1),
    "num_frames": at_least(1),
    "seed": at_least(0),
}

MOVERS = 3  # shapes moving together in a "move" video
PAN_TRAVEL = 0.4  # how far a "pan" scene drifts over the clip, as a fraction of the frame

_SHIFT = 4  # sub-pixel drawing: coordinates in 1/16 pixel so slow motion stays smooth
_SCALE = 1 << _SHIFT


def _pt(x, y):
    return int(round(x * _SCALE)), int(round(y * _SCALE))


def _background(rng, size):
    """A smooth random colour texture plus fine grain."""
    # A random base colour with gentle blotches: textured, but quieter than the moving shape.
    base = rng.uniform(60, 195, size=3)
    coarse = (base + rng.uniform(-45, 45, size=(rng.integers(3, 7), rng.integers(3, 7), 3))).astype(np.float32)
    smooth = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 6, size=(size, size, 3)).astype(np.float32)
    return np.clip(smooth + grain, 0, 255).astype(np.uint8)


def _draw_shape(frame, kind, center, radius, color, angle=0.0):
    x, y = center
    if kind == "circle":
        cv2.circle(frame, _pt(x, y), int(radius * _SCALE), color, -1, cv2.LINE_AA, _SHIFT)
        return
    corners = {"square": 4, "triangle": 3, "pentagon": 5}[kind]
    points = [
        _pt(
            x + radius * math.cos(angle + 2 * math.pi * k / corners),
            y + radius * math.sin(angle + 2 * math.pi * k / corners),
        )
        for k in range(corners)
    ]
    cv2.fillPoly(frame, [np.array(points, np.int32)], color, cv2.LINE_AA, _SHIFT)


def _contrasting_color(rng, background, center):
    """A colour far from the background around the shape, so the shape stays visible."""
    size = background.shape[0]
    cx, cy = int(np.clip(center[0], 0, size - 1)), int(np.clip(center[1], 0, size - 1))
    local = background[cy, cx].astype(np.float32)
    for _ in range(20):
        color = rng.uniform(0, 255, 3)
        if np.abs(color - local).sum() > 200:
            break
    return tuple(float(c) for c in color)


def _scene(rng, size):
    """A random colour texture with structure at two scales (blobs of ~size/6 and ~size/20 pixels)."""
    coarse = cv2.resize(
        rng.uniform(0, 255, (max(size // 6, 2), max(size // 6, 2), 3)).astype(np.float32),
        (size, size),
        interpolation=cv2.INTER_CUBIC,
    )
    fine = cv2.resize(
        rng.uniform(-60, 60, (max(size // 3, 2), max(size // 3, 2), 3)).astype(np.float32),
        (size, size),
        interpolation=cv2.INTER_LINEAR,
    )
    return np.clip(coarse + fine, 0, 255)


def _render_pan(spec, rng, size, num_frames):
    """The scene drifts towards `spec["angle"]` (0 = right, 90 = up) by ~40% of the frame over the clip."""
    travel = PAN_TRAVEL * size * rng.uniform(0.85, 1.15)
    scene_size = size + int(math.ceil(travel)) + 8
    scene = _scene(rng, scene_size)
    theta = math.radians(spec["angle"] + rng.uniform(-8, 8))
    # Image y grows downwards: 90 degrees moves up. The window moves against the
    # content, so the content drifts towards `angle`.
    direction = np.array([math.cos(theta), -math.sin(theta)])
    first = scene_size / 2 + direction * travel / 2
    frames = []
    for t in range(num_frames):
        center = first - direction * travel * t / max(num_frames - 1, 1)
        # Sub-pixel window: frame pixel (x, y) shows scene point (x + left, y + top).
        shift = np.float32([[1, 0, center[0] - size / 2], [0, 1, center[1] - size / 2]])
        frames.append(cv2.warpAffine(scene, shift, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP))
    return np.stack(frames)


def _draw_move(spec, rng, frames, background, radius, draw_distractor):
    """A small group of shapes moving together towards `spec["angle"]`."""
    num_frames, size = frames.shape[0], frames.shape[1]
    travel = spec["speed"] * 0.4 * size * rng.uniform(0.85, 1.15)
    theta = math.radians(spec["angle"] + rng.uniform(-8, 8))
    # Image y grows downwards: 90 degrees moves up.
    direction = np.array([math.cos(theta), -math.sin(theta)])
    # A small group of shapes moving together: more motion evidence per clip,
    # while no single frame says where they are heading.
    movers = []
    for _ in range(spec.get("movers", MOVERS)):
        mover_radius = radius * rng.uniform(0.7, 1.0)
        margin = mover_radius + 1
        middle = rng.uniform(0.3, 0.7, 2) * size
        start = np.clip(middle - direction * travel / 2, margin, size - margin)
        end = np.clip(start + direction * travel, margin, size - margin)
        start = end - direction * travel  # keep the full travel even after clipping
        movers.append(
            (
                rng.choice(["circle", "square", "triangle", "pentagon"]),
                start,
                end,
                mover_radius,
                _contrasting_color(rng, background, middle),
                rng.uniform(0, math.pi),
            )
        )
    for t in range(num_frames):
        draw_distractor(frames[t])
        for mover_shape, start, end, mover_radius, color, spin in movers:
            position = start + (end - start) * t / max(num_frames - 1, 1)
            _draw_shape(frames[t], mover_shape, position, mover_radius, color, spin)


def _draw_rotate(spec, rng, frames, background, draw_distractor):
    """A bar turning around a centre, clockwise or counterclockwise by `spec["direction"]`."""
    num_frames, size = frames.shape[0], frames.shape[1]
    center = size / 2 + rng.uniform(-0.1, 0.1, 2) * size
    length = rng.uniform(0.25, 0.32) * size
    color = _contrasting_color(rng, background, center)
    start_angle = rng.uniform(0, 2 * math.pi)
    sweep = spec["direction"] * rng.uniform(0.6, 0.9) * math.pi
    for t in range(num_frames):
        draw_distractor(frames[t])
        angle = start_angle + sweep * t / max(num_frames - 1, 1)
        # Image y grows downwards, so a growing angle turns clockwise on screen.
        tip = (center[0] + length * math.cos(angle), center[1] + length * math.sin(angle))
        cv2.line(frames[t], _pt(*center), _pt(*tip), color, max(2, size // 24), cv2.LINE_AA, _SHIFT)
        _draw_shape(frames[t], "circle", tip, max(2.0, size * 0.05), color)


def _draw_appear_or_vanish(spec, rng, frames, background, radius):
    """Two shapes; the class is which one appears (or vanishes) first."""
    num_frames, size = frames.shape[0], frames.shape[1]
    centers = [
        size * np.array([0.3, 0.5]) + rng.uniform(-0.08, 0.08, 2) * size,
        size * np.array([0.7, 0.5]) + rng.uniform(-0.08, 0.08, 2) * size,
    ]
    if rng.random() < 0.5:
        centers.reverse()
    colors = [_contrasting_color(rng, background, c) for c in centers]
    first_change = int(num_frames * rng.uniform(0.2, 0.35))
    second_change = int(num_frames * rng.uniform(0.55, 0.75))
    names = ["circle", "square"] if spec["first"] == "circle" else ["square", "circle"]
    for t in range(num_frames):
        for order, name in enumerate(names):
            change = first_change if order == 0 else second_change
            visible = t >= change if spec["kind"] == "appear" else t < change
            if visible:
                _draw_shape(frames[t], name, centers[order], radius, colors[order], math.pi / 4)


def render_video(spec, rng, size=64, num_frames=16):
    """uint8 RGB frames (num_frames, size, size, 3) showing the motion of class `spec`."""
    if spec["kind"] == "pan":
        frames = _render_pan(spec, rng, size, num_frames)
        return np.clip(frames + rng.normal(0, 3, size=frames.shape), 0, 255).astype(np.uint8)
    background = _background(rng, size)
    frames = np.repeat(background[None], num_frames, axis=0)
    # A static distractor shape, so "a shape is there" says nothing about the class.
    distractor_center = rng.uniform(0.15 * size, 0.85 * size, 2)
    show_distractor = rng.random() < 0.7
    distractor = (
        rng.choice(["circle", "square", "triangle"]),
        distractor_center,
        rng.uniform(0.05, 0.09) * size,
        _contrasting_color(rng, background, distractor_center),
        rng.uniform(0, math.pi),
    )

    def draw_distractor(frame):
        if show_distractor:
            _draw_shape(frame, *distractor)

    # An unused draw, kept so that the random stream (and every generated dataset) stays as it was.
    rng.choice(["circle", "square", "triangle", "pentagon"])
    radius = rng.uniform(0.1, 0.15) * size
    if spec["kind"] == "move":
        _draw_move(spec, rng, frames, background, radius, draw_distractor)
    elif spec["kind"] == "rotate":
        _draw_rotate(spec, rng, frames, background, draw_distractor)
    else:  # appear / vanish
        _draw_appear_or_vanish(spec, rng, frames, background, radius)
    noise = rng.normal(0, 3, size=frames.shape)
    return np.clip(frames + noise, 0, 255).astype(np.uint8)


def _options(**size_options):
    unknown = set(size_options) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown synthetic options {sorted(unknown)}. Expected some of {sorted(DEFAULTS)}.")
    options = {**DEFAULTS, **{k: v for k, v in size_options.items() if v is not None}}
    check_ranges(options, SIZE_RANGES)
    return options


def default_cache_root():
    base = os.environ.get("DVFL_TF_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dvfl_tf"
    )
    return base


def cache_dir_for(**size_options):
    o = _options(**size_options)
    name = (
        f"synthetic-v{FORMAT_VERSION}-c{o['num_classes']}-tr{o['train_per_class']}-te{o['test_per_class']}"
        f"-un{o['unused_per_class']}-s{o['image_size']}-f{o['num_frames']}-seed{o['seed']}"
    )
    return os.path.join(default_cache_root(), name)


def make_synthetic(output, progress=False, **size_options):
    """Write the synthetic dataset to `output` (HMDB51 layout). Returns `output`."""
    options = _options(**size_options)
    classes = CLASS_POOL[: options["num_classes"]]
    per_class = options["train_per_class"] + options["test_per_class"] + options["unused_per_class"]
    os.makedirs(output, exist_ok=True)
    split_dir = os.path.join(output, "testTrainMulti_7030_splits")
    os.makedirs(split_dir, exist_ok=True)
    iterator = [(c, i) for c in range(len(classes)) for i in range(per_class)]
    if progress:
        iterator = tqdm(iterator, desc="synthetic videos", unit="video", disable=None)  # None: terminal only
    for class_id, video_id in iterator:
        spec = classes[class_id]
        rng = np.random.default_rng([options["seed"], class_id, video_id])
        frames = render_video(spec, rng, options["image_size"], options["num_frames"])
        class_dir = os.path.join(output, spec["name"])
        os.makedirs(class_dir, exist_ok=True)
        write_video(os.path.join(class_dir, f"{spec['name']}_{video_id:03d}.avi"), frames)
    for spec_index, spec in enumerate(classes):
        names = [f"{spec['name']}_{i:03d}.avi" for i in range(per_class)]
        for split in (1, 2, 3):
            # Each official split is a different train/test partition of the same videos.
            order = np.random.default_rng([options["seed"], spec_index, 1000 + split]).permutation(per_class)
            tags = np.zeros(per_class, dtype=int)
            tags[order[: options["test_per_class"]]] = 2
            tags[order[options["test_per_class"] : options["test_per_class"] + options["train_per_class"]]] = 1
            with open(
                os.path.join(split_dir, f"{spec['name']}_test_split{split}.txt"), "w", encoding="utf-8"
            ) as handle:
                for name, tag in zip(names, tags, strict=True):
                    handle.write(f"{name} {tag} \n")
    with open(os.path.join(output, "synthetic.json"), "w", encoding="utf-8") as handle:
        json.dump({"format_version": FORMAT_VERSION, "options": options, "classes": classes}, handle, indent=2)
    return output


class SyntheticDatasetError(UserError, ValueError):
    """A folder that holds a synthetic dataset made with other options (or by another format version)."""


def synthetic_mismatch(root, **size_options):
    """How the synthetic dataset in `root` differs from the given `size_options` ("num_classes 3, not 4"), or None.

    Options left None are not compared (the dataset's own apply). None also when
    `root` holds no synthetic dataset (nothing to compare).
    """
    marker = os.path.join(root, "synthetic.json")
    if not os.path.isfile(marker):
        return None
    _options(**size_options)  # checks them
    wanted = {key: value for key, value in size_options.items() if value is not None}
    try:
        with open(marker, encoding="utf-8") as handle:
            made = json.load(handle)
        made_options, version = dict(made["options"]), made.get("format_version")
    except (OSError, ValueError, KeyError, TypeError):
        return "its synthetic.json is unreadable"
    differences = [
        f"{key} {made_options.get(key)}, not {value}" for key, value in wanted.items() if made_options.get(key) != value
    ]
    if version != FORMAT_VERSION:
        differences.insert(0, f"format version {version}, not {FORMAT_VERSION}")
    return ", ".join(differences) or None


def ensure_synthetic(root=None, progress=False, overwrite=False, **size_options):
    """The root of a synthetic dataset with `size_options`, generating it first if absent.

    With `root=None` it lives in the user cache (`$DVFL_TF_CACHE`, else
    `~/.cache/dvfl_tf`), one folder per set of options. Generation writes to a
    temporary folder that is renamed into place, so concurrent callers (e.g.
    parallel test workers) never see a half-written dataset. A folder holding a
    synthetic dataset made with other options raises `SyntheticDatasetError`,
    unless `overwrite` (then it is made again, and replaced only once whole).
    """
    root = os.path.abspath(os.path.expanduser(str(root))) if root is not None else cache_dir_for(**size_options)
    if os.path.isfile(os.path.join(root, "synthetic.json")):
        mismatch = synthetic_mismatch(root, **size_options)
        if mismatch is None:
            return root
        if not overwrite:
            raise SyntheticDatasetError(
                f"{root}: holds a synthetic dataset made with other options ({mismatch}); pass --overwrite "
                "(overwrite=True) to make it again with these, or choose another folder"
            )
    elif os.path.isdir(root) and os.listdir(root):
        raise FileExistsError(
            f"{root} exists and is not a synthetic dataset (no synthetic.json); choose another folder"
        )
    parent = os.path.dirname(root)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".synthetic-tmp-", dir=parent)
    try:
        make_synthetic(staging, progress=progress, **size_options)
        if os.path.isfile(os.path.join(root, "synthetic.json")):
            # overwrite: the old dataset goes once the new one is whole
            old = tempfile.mkdtemp(prefix=".synthetic-old-", dir=parent)
            os.rename(root, os.path.join(old, "dataset"))
            os.rename(staging, root)
            shutil.rmtree(old, ignore_errors=True)
            return root
        if os.path.isdir(root) and not os.listdir(root):
            os.rmdir(root)
        try:
            os.rename(staging, root)
        except OSError:
            if not os.path.isfile(os.path.join(root, "synthetic.json")):
                raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
    return root
