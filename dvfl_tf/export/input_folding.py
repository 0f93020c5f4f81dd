"""Fold the frame normalization into the stem convolution of a model to export.

The backbone starts with `(x - mean) / std` per colour channel on raw RGB
frames, two element-wise passes over every input pixel: in vfl_net_mobile's
TFLite files about a fifth of the time on XNNPACK, float32 and int8 alike
(`dvfl-tf benchmark --op-profile`, docs/mobile.md). The stem is a convolution
without padding, so the affine map folds exactly into its weights:

    W' = W / std,    b' = b - sum(W * mean / std)

(summed over kernel rows, columns and input channels; the stem's input channels
are (frame of the tubelet, colour), so mean and std repeat per frame). With zero
padding (`use_conv_embed`) the padded zeros would stand for `mean`, not 0, so
such a stem is left as it is. The exporters convert the folded copy and verify
the file against the original model.
"""

import numpy as np

from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier


def can_fold_input_normalization(model):
    """True for a `VideoFocalNetClassifier` whose stem has no padding and a bias, and whose normalization is
    not folded yet (a bias-free stem could not absorb the mean)."""
    if not isinstance(model, VideoFocalNetClassifier):
        return False
    normalization = model.backbone.get_layer("frame_normalization")
    stem = model.backbone.get_layer("patch_embed")
    return stem.padding == 0 and stem.proj.use_bias and not normalization.folded


def fold_input_normalization(model):
    """A copy of `model` (same weights) whose stem convolution takes raw RGB; `model` itself if it cannot fold.

    The copy computes the same function up to float rounding and shares the
    preprocessor (so the file's metadata is unchanged).
    """
    if not can_fold_input_normalization(model):
        return model
    folded = model.rebuilt()
    normalization = folded.backbone.get_layer("frame_normalization")
    proj = folded.backbone.get_layer("patch_embed").proj
    kernel = np.asarray(proj.kernel.numpy(), np.float64)  # (k, k, tubelet_size * 3, embed_dim)
    repeats = kernel.shape[2] // len(normalization.std)
    std = np.tile(np.asarray(normalization.std, np.float64), repeats)[None, None, :, None]
    mean = np.tile(np.asarray(normalization.mean, np.float64), repeats)[None, None, :, None]
    bias = np.asarray(proj.bias.numpy(), np.float64) - (kernel * mean / std).sum(axis=(0, 1, 2))
    proj.kernel.assign((kernel / std).astype(np.float32))
    proj.bias.assign(bias.astype(np.float32))
    # The layer is re-run each time the model is called, so the flag takes effect in every graph built from
    # `folded` (single_clip_model, streaming_model).
    normalization.folded = True
    return folded
