"""The focal modulators of a Video-FocalNet: the arrays the official model keeps after a forward pass.

The official `SpatioTemporalFocalModulation` stores four tensors per block
(`modulator`, `modulator_temporal`, `gates`, `gates_temporal`); the
Video-FocalNets and FocalNet papers draw them. `modulator_maps` computes the same
tensors for a Keras model, in the official key names and layouts, from the
block inputs of the model itself (a feature model over the backbone's existing
layers): the model, its outputs and its exported graphs are left as they are.

Official layouts (`layers.{i}.blocks.{j}.modulation.{name}`):
`modulator`, `modulator_temporal` (batch*frames, channels, height, width);
`gates` (batch*frames, focal_level+1, height, width);
`gates_temporal` (batch*height*width, focal_level+1, frames).
"""

import re

import keras
import numpy as np

MODULATOR_NAMES = ("modulator", "modulator_temporal", "gates", "gates_temporal")


def backbone_of(model):
    """The `VideoFocalNetBackbone` of a classifier (or the backbone itself)."""
    backbone = getattr(model, "backbone", model)
    if not hasattr(backbone, "depths"):
        raise ValueError(
            f"Not a Video-FocalNet model: {getattr(model, 'name', model)!r} has no Video-FocalNet backbone"
        )
    return backbone


def block_names(backbone):
    """Every block of `backbone` as its official name, `layers.{i}.blocks.{j}`, in order."""
    return [f"layers.{stage}.blocks.{block}" for stage, depth in enumerate(backbone.depths) for block in range(depth)]


_BLOCK = re.compile(r"^(?:layers\.)?(\d+)\.(?:blocks\.)?(\d+)$")


def resolve_blocks(backbone, blocks=None):
    """Official block names from `blocks`: None or "last" (the last block), "all", or a comma-separated list or
    sequence of "I.J" / "layers.I.blocks.J"; ValueError naming the one that does not exist."""
    names = block_names(backbone)
    if blocks is None or blocks == "last":
        return names[-1:]
    if blocks == "all":
        return names
    items = [item.strip() for item in blocks.split(",")] if isinstance(blocks, str) else list(blocks)
    resolved = []
    for item in items:
        match = _BLOCK.match(str(item))
        name = f"layers.{match.group(1)}.blocks.{match.group(2)}" if match else None
        if name not in names:
            raise ValueError(
                f"No block {item!r} in this model: blocks are {', '.join(names)} (or 'all', 'last'). "
                f"Received: blocks={blocks!r}"
            )
        if name not in resolved:
            resolved.append(name)
    if not resolved:
        raise ValueError(f"No block chosen. Received: blocks={blocks!r}")
    return resolved


def _layer_name(official_block):
    _, stage, _, block = official_block.split(".")
    return f"layers_{stage}_blocks_{block}"


def _official_layout(name, value, batch):
    value = np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float32)
    if name == "gates_temporal":  # ours (batch, frames, H*W, L+1) -> (batch*H*W, L+1, frames)
        _, frames, tokens, levels = value.shape
        return np.ascontiguousarray(np.transpose(value, (0, 2, 3, 1)).reshape(batch * tokens, levels, frames))
    return np.ascontiguousarray(np.transpose(value, (0, 3, 1, 2)))  # (B*T, H, W, C) -> (B*T, C, H, W)


def modulator_maps(model, clips, blocks=None):
    """{`layers.{i}.blocks.{j}.modulation.{name}`: float32 array, official layout} for `clips`.

    `model`: a `VideoFocalNetClassifier` (or its backbone); `clips`: raw RGB in
    [0, 255], (batch, frames, H, W, 3) in the model's geometry; `blocks` as
    `resolve_blocks` (default: the last block). Inference mode (no dropout).
    """
    backbone = backbone_of(model)
    clips = np.asarray(clips, dtype=np.float32)
    height, width = backbone.frame_shape
    expected = (backbone.num_frames, height, width, 3)
    if clips.ndim != 5 or tuple(clips.shape[1:]) != expected:
        raise ValueError(
            f"clips must be (batch, {', '.join(map(str, expected))}) for this model. Received: shape={clips.shape}"
        )
    names = resolve_blocks(backbone, blocks)
    layers = {name: backbone.get_layer(_layer_name(name)) for name in names}
    block_inputs = keras.Model(backbone.input, {name: layer.input for name, layer in layers.items()})
    features = block_inputs(clips.reshape((-1, height, width, 3)), training=False)
    maps = {}
    for name, layer in layers.items():
        x = features[name]
        if not layer.use_postln:  # the modulation sees the pre-norm, as in the block's own call
            x = layer.norm1(x)
        for key, value in layer.modulation.modulator_maps(x).items():
            maps[f"{name}.modulation.{key}"] = _official_layout(key, value, clips.shape[0])
    return maps
