"""A Video-FocalNet stage: its blocks and the downsample after them, built into the backbone's graph.

The official `BasicLayer` (timm: `FocalNetStage` and `Downsample`) as a function that
adds the stage's layers to a functional graph rather than as one layer holding them:
a `.keras` file keys each weight by the path of its layer in the backbone's layer list
(`layers/video_focal_net_block_3/...`, from the class names in graph order), so a stage
layer holding the blocks would move every weight of every saved model. Built inline,
the layers, their names (`layers_{i}_blocks_{j}`, `layers_{i}_downsample`, the
official state_dict names the checkpoint converter maps) and their order stay those
of every file written so far.
"""

from dvfl_tf.models.video_focalnet.video_focalnet_block import VideoFocalNetBlock
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import PatchEmbedding


def drop_path_rates(drop_path_rate, depths):
    """Each block's stochastic-depth rate, per stage: the official torch.linspace(0, rate, sum(depths))."""
    total = sum(depths)
    rates = [drop_path_rate * i / (total - 1) if total > 1 else 0.0 for i in range(total)]
    per_stage, start = [], 0
    for depth in depths:
        per_stage.append(rates[start : start + depth])
        start += depth
    return per_stage


def stage_blocks(x, stage, dim, block_drop_paths, dtype=None, **block_kwargs):
    """Adds stage `stage`'s blocks (`layers_{stage}_blocks_{j}`) on `x`: the stage's output.

    One block per entry of `block_drop_paths` (its stochastic-depth rate); `block_kwargs`
    go to every `VideoFocalNetBlock` (num_frames, focal_level, ...).
    """
    for block, drop_path in enumerate(block_drop_paths):
        x = VideoFocalNetBlock(
            dim, drop_path=drop_path, dtype=dtype, name=f"layers_{stage}_blocks_{block}", **block_kwargs
        )(x)
    return x


def stage_downsample(x, stage, dim, use_conv_embed=False, norm="layer", dtype=None):
    """Adds the downsample after stage `stage` (`layers_{stage}_downsample`): half the size, `dim` channels."""
    return PatchEmbedding(
        dim,
        patch_size=2,
        use_conv_embed=use_conv_embed,
        is_stem=False,
        norm=norm,
        dtype=dtype,
        name=f"layers_{stage}_downsample",
    )(x)
