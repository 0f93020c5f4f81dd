"""Fold every foldable norm of a model to export into the conv or dense layer next to it.

A backbone built with `norm="batch"` (the int8 mobile preset) or `norm="affine"`
has a batch norm or a per-channel affine map where the official model has a
LayerNorm. At inference either is a fixed affine map per channel, y = x * s + t,
so it folds exactly into a neighbouring linear layer, and the TFLite file has no
normalization op left:

- after a convolution or dense layer (the stem and downsample convs; the branch
  outputs of a post-norm block): W' = W * s (per output channel), b' = b * s + t;
- before dense layers (a pre-norm block's norm1 feeds the modulation's `f` and
  `f_temporal`, norm2 feeds `mlp_fc1`; the modulation's `ln` feeds `proj`; the
  final norm feeds the head through the clip mean, which commutes with an
  affine map): W' = s[:, None] * W, b' = b + t @ W.

The exporters convert the folded copy (`fold_norms`) and verify the file
against the original model, as for `input_folding`.
"""

import numpy as np

from dvfl_tf.models.video_focalnet.video_focalnet_block import VideoFocalNetBlock
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import PatchEmbedding
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import FOLDABLE_NORMS


def _unfolded(layer):
    return isinstance(layer, FOLDABLE_NORMS) and not layer.folded


def can_fold_norms(model):
    """True for a `VideoFocalNetClassifier` with a foldable norm (batch or affine) not folded yet."""
    if not isinstance(model, VideoFocalNetClassifier):
        return False
    return any(_unfolded(layer) for layer in model.backbone._flatten_layers())  # noqa: SLF001 (nested layers)


def _weights(layer):
    kernel = np.asarray(layer.kernel.numpy(), np.float64)
    bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else None
    return kernel, bias


def _fold_after(norm, layer):
    """`norm(layer(x))` -> `layer'(x)`: scales the output channels (the kernel's last axis)."""
    scale, shift = norm.inference_scale_and_shift()
    kernel, bias = _weights(layer)
    if bias is None:
        raise ValueError(f"Cannot fold {norm.name} into {layer.name}: it has no bias.")
    layer.kernel.assign((kernel * scale).astype(np.float32))
    layer.bias.assign((bias * scale + shift).astype(np.float32))


def _fold_before(norm, layers):
    """`layer(norm(x))` -> `layer'(x)` for each dense layer: scales the input rows."""
    scale, shift = norm.inference_scale_and_shift()
    for layer in layers:
        kernel, bias = _weights(layer)
        if bias is None:
            raise ValueError(f"Cannot fold {norm.name} into {layer.name}: it has no bias.")
        layer.kernel.assign((scale[:, None] * kernel).astype(np.float32))
        layer.bias.assign((bias + shift @ kernel).astype(np.float32))


def _fold_block(block):
    modulation = block.modulation
    if _unfolded(modulation.ln):  # ln(q * modulators) feeds proj
        _fold_before(modulation.ln, [modulation.proj])
        modulation.ln.folded = True
    if block.use_postln:  # each branch's last linear layer feeds its norm
        pairs = [(block.norm1, modulation.proj, None), (block.norm2, block.mlp_fc2, None)]
    else:  # each norm feeds its branch's first linear layers
        pairs = [(block.norm1, None, [modulation.f, modulation.f_temporal]), (block.norm2, None, [block.mlp_fc1])]
    for norm, before, after in pairs:
        if not _unfolded(norm):
            continue
        if before is not None:
            _fold_after(norm, before)
        else:
            _fold_before(norm, after)
        norm.folded = True


def fold_norms(model):
    """A copy of `model` (same weights) with every foldable norm folded; `model` itself if it has none.

    The copy computes the same function at inference up to float rounding and shares the preprocessor.
    """
    if not can_fold_norms(model):
        return model
    folded = model.rebuilt()
    backbone = folded.backbone
    for layer in backbone.layers:
        if isinstance(layer, PatchEmbedding) and _unfolded(layer.norm):
            _fold_after(layer.norm, layer.proj)
            layer.norm.folded = True
        elif isinstance(layer, VideoFocalNetBlock):
            _fold_block(layer)
    final = backbone.get_layer("norm")
    if _unfolded(final):  # the clip mean between them commutes with the affine map
        _fold_before(final, [folded.head])
        final.folded = True
    # The layers are re-run each time the model is called, so the flags take effect in every graph built from
    # `folded` (single_clip_model, streaming_model).
    return folded
