"""Fold the per-channel maps of a model's norms into the conv or dense layer next to them.

A backbone built with `norm="batch"` (the int8 mobile preset's batch norm), `"affine"` or `"dynamic_tanh"` has
one of these where the official model has a LayerNorm. At inference each ends in a fixed affine map per
channel, y = u * s + t, with u the input (batch norm, affine) or tanh(alpha * x) (DyT), so it folds exactly
into a neighbouring linear layer, and the TFLite file has no normalization op left but DyT's TANH:

- after a convolution or dense layer (the stem and downsample convs; the branch
  outputs of a post-norm block), u = x only: W' = W * s (per output channel), b' = b * s + t;
- before dense layers (a pre-norm block's norm1 feeds the modulation's `f` and
  `f_temporal`, norm2 feeds `mlp_fc1`; the modulation's `ln` feeds `proj`; the
  final norm feeds the head through the clip mean, which commutes with an
  affine map): W' = s[:, None] * W, b' = b + t @ W.

A DyT after a layer (a post-norm block's norm1 and norm2) keeps its map: a MUL and an ADD per channel, which
XNNPACK runs in int8; with `norm="dynamic_tanh"` the stem's and downsamples' norms are the map alone
(`ChannelAffine`), which folds. The exporters convert the folded copy (`fold_norms`) and verify the file against the
original model, as for `input_folding`.
"""

import numpy as np

from dvfl_tf.models.video_focalnet.video_focalnet_block import VideoFocalNetBlock
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import PatchEmbedding
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import FOLDABLE_NORMS


def _unfolded(layer):
    return isinstance(layer, FOLDABLE_NORMS) and not layer.folded


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


def _fold_plan(model):
    """[(norm, layer before it or None, dense layers after it or None)] for every norm of `model` that folds."""
    plan = []

    def add(norm, before=None, after=None):
        if _unfolded(norm) and (after is not None or norm.folds_into_layer_before):
            plan.append((norm, before, after))

    for layer in model.backbone.layers:
        if isinstance(layer, PatchEmbedding):
            add(layer.norm, before=layer.proj)  # None without a patch norm
        elif isinstance(layer, VideoFocalNetBlock):
            modulation = layer.modulation
            add(modulation.ln, after=[modulation.proj])  # ln(q * modulators) feeds proj; None without post-ln
            if layer.use_postln:  # each branch's last linear layer feeds its norm
                add(layer.norm1, before=modulation.proj)
                add(layer.norm2, before=layer.mlp_fc2)
            else:  # each norm feeds its branch's first linear layers
                add(layer.norm1, after=[modulation.f, modulation.f_temporal])
                add(layer.norm2, after=[layer.mlp_fc1])
    add(model.backbone.get_layer("norm"), after=[model.head])  # the clip mean between commutes with the map
    return plan


def can_fold_norms(model):
    """True for a `VideoFocalNetClassifier` with a norm that `fold_norms` folds."""
    return isinstance(model, VideoFocalNetClassifier) and bool(_fold_plan(model))


def fold_norms(model):
    """A copy of `model` (same weights) with every foldable norm folded; `model` itself if it has none.

    The copy computes the same function at inference up to float rounding and shares the preprocessor.
    """
    if not can_fold_norms(model):
        return model
    folded = model.rebuilt()
    for norm, before, after in _fold_plan(folded):
        if before is not None:
            _fold_after(norm, before)
        else:
            _fold_before(norm, after)
        norm.folded = True
    # The layers are re-run each time the model is called, so the flags take effect in every graph built from
    # `folded` (single_clip_model, streaming_model).
    return folded
