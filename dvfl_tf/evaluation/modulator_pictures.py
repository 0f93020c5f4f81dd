"""Pictures of the focal modulators (the Video-FocalNets figures): a PNG grid and an animated GIF.

For each chosen block, over the clip's frames: the frame, the magnitude (L2 norm
over channels) of the spatial and of the temporal modulator, and the spatial
and temporal gate of each focal level, each map upsampled to the frame and
laid over it in colour. One colour scale per row, shared by its frames, so a
row shows how a map changes over time.
"""

import cv2
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure  # the object API: no pyplot, no global backend to switch
from PIL import Image

from dvfl_tf.core.checks import positive

# Share of the colour map in each overlay (the rest is the frame).
OVERLAY_ALPHA = 0.5
_CELL_INCHES = 1.6
_DPI = 100


def _normalised(values):
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - low) / (high - low)).astype(np.float32)


def _overlay(frames, maps):
    """uint8 (T, H, W, 3): `maps` (T, h, w), scaled to [0, 1] over all T, in colour over `frames`."""
    height, width = frames.shape[1:3]
    heat = _normalised(maps)
    heat = np.stack([cv2.resize(m, (width, height), interpolation=cv2.INTER_LINEAR) for m in heat])
    colour = colormaps["jet"](np.clip(heat, 0.0, 1.0))[..., :3] * 255.0
    blended = (1.0 - OVERLAY_ALPHA) * frames.astype(np.float32) + OVERLAY_ALPHA * colour
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _block_maps(maps, block, batch_index):
    """(modulator, modulator_temporal) magnitudes (T, h, w) and gates, temporal gates (L+1, T, h, w) of one clip."""
    prefix = f"{block}.modulation."
    modulator = maps[prefix + "modulator"]
    modulator_temporal = maps[prefix + "modulator_temporal"]
    gates = maps[prefix + "gates"]
    gates_temporal = maps[prefix + "gates_temporal"]
    height, width = modulator.shape[2:]
    levels, frames = gates_temporal.shape[1:]
    clip = slice(batch_index * frames, (batch_index + 1) * frames)
    tokens = slice(batch_index * height * width, (batch_index + 1) * height * width)
    temporal = gates_temporal[tokens].reshape(height, width, levels, frames).transpose(2, 3, 0, 1)
    return (
        np.linalg.norm(modulator[clip], axis=1),
        np.linalg.norm(modulator_temporal[clip], axis=1),
        gates[clip].transpose(1, 0, 2, 3),
        temporal,
    )


def picture_rows(maps, block, frames, batch_index=0):
    """[(label, uint8 (T', H, W, 3))] of one block for clip `batch_index` of `maps` (`modulator_maps`' dict).

    `frames`: that clip's raw RGB frames (T, H, W, 3); with a tubelet stem
    (T' = T / tubelet frames of tokens) the first frame of each tubelet is shown.
    """
    modulator, modulator_temporal, gates, gates_temporal = _block_maps(maps, block, batch_index)
    token_frames = modulator.shape[0]
    frames = np.clip(np.rint(np.asarray(frames, np.float32)), 0, 255).astype(np.uint8)
    if len(frames) % token_frames:
        raise ValueError(f"{len(frames)} frames for {token_frames} token frames: not whole tubelets")
    shown = frames[:: len(frames) // token_frames]
    rows = [("frame", shown), ("|spatial modulator|", _overlay(shown, modulator))]
    rows.append(("|temporal modulator|", _overlay(shown, modulator_temporal)))
    rows += [(f"spatial gate {level}", _overlay(shown, g)) for level, g in enumerate(gates)]
    rows += [(f"temporal gate {level}", _overlay(shown, g)) for level, g in enumerate(gates_temporal)]
    return rows


def _figure(nrows, ncols):
    figure = Figure(figsize=(ncols * _CELL_INCHES, nrows * _CELL_INCHES), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    return figure, axes


def _rgb(figure):
    canvas = figure.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def grid_image(rows_by_block):
    """uint8 RGB image: one row per (block, map), one column per frame."""
    rows = [
        (f"{block}\n{label}" if label == "frame" else label, images)
        for block, r in rows_by_block
        for label, images in r
    ]
    columns = max(len(images) for _, images in rows)
    figure, axes = _figure(len(rows), columns)
    for r, (label, images) in enumerate(rows):
        axes[r, 0].set_ylabel(label, fontsize=7)
        for t, image in enumerate(images):
            axes[r, t].imshow(image, interpolation="nearest")
            if r == 0:
                axes[r, t].set_title(f"frame {t}", fontsize=7)
    return _rgb(figure)


def animation_frames(rows_by_block):
    """[uint8 RGB image per frame]: one row per block, one column per map."""
    columns = max(len(rows) for _, rows in rows_by_block)
    frames = rows_by_block[0][1][0][1].shape[0]
    images = []
    for t in range(frames):
        figure, axes = _figure(len(rows_by_block), columns)
        for r, (block, rows) in enumerate(rows_by_block):
            axes[r, 0].set_ylabel(block, fontsize=7)
            for c, (label, pictures) in enumerate(rows):
                axes[r, c].imshow(pictures[t], interpolation="nearest")
                axes[r, c].set_title(label if c else f"frame {t}", fontsize=7)
            images.append(_rgb(figure))
    return images


def write_png(image, path):
    Image.fromarray(image).save(path, format="PNG")
    return path


# Frames per second of a modulator GIF (visualize --fps): the default and the allowed values.
DEFAULT_FPS = 2.0
FPS = positive()


def write_gif(images, path, fps=DEFAULT_FPS):
    """An animated GIF that loops, `fps` frames per second."""
    FPS.check("fps", fps)
    frames = [Image.fromarray(image) for image in images]
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], duration=int(round(1000 / fps)), loop=0)
    return path
