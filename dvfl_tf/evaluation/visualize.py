"""`dvfl-tf visualize`: the focal modulators of a model on a clip, as arrays, a PNG grid and an animated GIF.

Models: a `.keras` classifier, or an official checkpoint (`.pth`) converted in
memory (`load_classifier`). Clips: a video file (the evaluation preprocessing
of `dvfl-tf predict`: the model's frames, short-side resize, centre crop) or an
already-normalised official-layout array (batch, frames, channels, height,
width), as `convert-checkpoint --verify-input` takes.
"""

import os

import numpy as np

from dvfl_tf.convert import official_input_to_raw
from dvfl_tf.core.errors import UserError
from dvfl_tf.core.io_safety import atomic_path
from dvfl_tf.evaluation import modulator_pictures
from dvfl_tf.evaluation.classifier_loading import load_classifier  # noqa: F401 (part of this API)
from dvfl_tf.evaluation.keras_classifier import KerasVideoClassifier
from dvfl_tf.evaluation.modulators import backbone_of, modulator_maps, resolve_blocks
from dvfl_tf.runtime.preprocessing import clip_from_video

# The files `visualize` writes in its output folder.
PICTURE_FILES = ("modulators.png", "modulators.gif")
ARRAYS_FILE = "modulators.npz"


class ClipFileError(UserError, ValueError):
    """An input clip file that cannot be used (the message names it)."""


def clip_from_npy(path, model):
    """Raw RGB clips (batch, frames, H, W, 3) from an official-layout normalised `.npy` (batch, frames, 3, H, W)."""
    path = os.fspath(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ClipFileError(f"{path}: not a readable .npy array ({error})") from None
    backbone = backbone_of(model)
    height, width = backbone.frame_shape
    expected = (backbone.num_frames, 3, height, width)
    if array.ndim != 5 or tuple(array.shape[1:]) != expected or not np.issubdtype(array.dtype, np.floating):
        raise ClipFileError(
            f"{path}: expected a float array (batch, {', '.join(map(str, expected))}) for this model "
            f"(official layout, normalised). Received: shape={array.shape}, dtype={array.dtype}"
        )
    if not np.isfinite(array).all():
        raise ClipFileError(f"{path}: the clip holds NaN or inf")
    return official_input_to_raw(array)


def clip_from_video_file(path, model):
    """(1, frames, H, W, 3) raw RGB: the model's evaluation clip of a video file (as `dvfl-tf predict`)."""
    classifier = KerasVideoClassifier(model)
    clip = clip_from_video(os.fspath(path), classifier.num_frames, classifier.image_size, classifier.resize_size)
    return clip[None]


def output_files(output_dir, arrays=False):
    names = PICTURE_FILES + ((ARRAYS_FILE,) if arrays else ())
    return [os.path.join(os.fspath(output_dir), name) for name in names]


def visualize(
    model, clips, output_dir=None, blocks="last", arrays=False, fps=modulator_pictures.DEFAULT_FPS, batch_index=0
):
    """The modulators of `blocks` (see `resolve_blocks`; default the last block) for `clips` (raw RGB,
    (batch, frames, H, W, 3)).

    Returns {"maps": {official key: array}, "blocks": [...], "files": [...]}:
    the maps of the chosen blocks, of every block with `arrays`. With
    `output_dir`, writes `modulators.png` (a grid: one row per chosen block and
    map, one column per frame) and `modulators.gif` (one picture per frame) of
    clip `batch_index`, and with `arrays` `modulators.npz` (the four tensors
    of every block, official names and layouts, all clips: what the official
    model keeps after a forward pass).
    """
    modulator_pictures.FPS.check("fps", fps)  # before any work
    names = resolve_blocks(backbone_of(model), blocks)
    clips = np.asarray(clips, dtype=np.float32)
    maps = modulator_maps(model, clips, "all" if arrays else names)
    result = {"maps": maps, "blocks": names, "files": []}
    if output_dir is None:
        return result
    os.makedirs(output_dir, exist_ok=True)
    rows = [(name, modulator_pictures.picture_rows(maps, name, clips[batch_index], batch_index)) for name in names]
    png, gif = output_files(output_dir)[:2]
    with atomic_path(png) as temporary:
        modulator_pictures.write_png(modulator_pictures.grid_image(rows), temporary)
    with atomic_path(gif) as temporary:
        modulator_pictures.write_gif(modulator_pictures.animation_frames(rows), temporary, fps=fps)
    result["files"] += [png, gif]
    if arrays:
        path = output_files(output_dir, arrays=True)[-1]
        with atomic_path(path) as temporary:
            with open(temporary, "wb") as f:
                np.savez(f, **maps)
        result["files"].append(path)
    return result
