"""keras-hub-style tests of the embedding layers."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_embedding import FoldFrames, FrameNormalization, PatchEmbedding
from tests.model_testing import run_layer_test

RNG = np.random.default_rng(0)


def test_frame_normalization():
    frames = RNG.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    run_layer_test(FrameNormalization, {}, frames, (2, 8, 8, 3), batch_sizes=[1, 3])
    out = np.asarray(FrameNormalization()(np.full((1, 1, 1, 3), [123.675, 116.28, 103.53], "float32")))
    np.testing.assert_allclose(out, 0.0, atol=1e-6)


def test_fold_frames():
    clips = RNG.uniform(0, 255, size=(2, 4, 8, 8, 3)).astype("float32")
    run_layer_test(FoldFrames, {}, clips, (8, 8, 8, 3), batch_sizes=[1, 3])
    folded = np.asarray(FoldFrames()(clips))
    np.testing.assert_array_equal(folded[5], clips[1, 1])  # clip-major order


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape",
    [
        ({"embed_dim": 8, "is_stem": True}, (4, 16, 16, 3), (4, 4, 4, 8)),
        ({"embed_dim": 8, "is_stem": True, "tubelet_size": 2}, (4, 16, 16, 3), (2, 4, 4, 8)),
        ({"embed_dim": 8, "is_stem": True, "use_conv_embed": True}, (4, 16, 16, 3), (4, 4, 4, 8)),
        ({"embed_dim": 16, "patch_size": 2}, (4, 8, 8, 8), (4, 4, 4, 16)),
        ({"embed_dim": 16, "patch_size": 2, "use_conv_embed": True}, (4, 8, 8, 8), (4, 4, 4, 16)),
        ({"embed_dim": 16, "patch_size": 2, "use_norm": False}, (4, 8, 8, 8), (4, 4, 4, 16)),
        (
            {"embed_dim": 8, "is_stem": True, "tubelet_size": 2, "norm": "batch", "as_matmul": True},
            (4, 16, 16, 3),
            (2, 4, 4, 8),
        ),
        ({"embed_dim": 16, "patch_size": 2, "norm": "batch"}, (4, 8, 8, 8), (4, 4, 4, 16)),
    ],
)
def test_patch_embedding(kwargs, input_shape, output_shape):
    x = RNG.normal(size=input_shape).astype("float32")
    run_layer_test(PatchEmbedding, kwargs, x, output_shape, batch_sizes=[4, 12])


def test_patch_embedding_tubelet_groups_consecutive_frames():
    # Each output row must depend only on its own `tubelet_size` input frames.
    layer = PatchEmbedding(4, is_stem=True, tubelet_size=2, use_norm=False)
    x = RNG.normal(size=(4, 8, 8, 3)).astype("float32")
    base = np.asarray(layer(x))
    x2 = x.copy()
    x2[3] += 1.0  # second frame of the second tubelet
    changed = np.asarray(layer(x2))
    np.testing.assert_array_equal(changed[0], base[0])
    assert np.abs(changed[1] - base[1]).max() > 0


def test_patch_embedding_rejects_tubelet_downsample():
    with pytest.raises(ValueError, match="tubelet_size"):
        PatchEmbedding(8, tubelet_size=2, is_stem=False)


@pytest.mark.parametrize("tubelet_size, size", [(1, 16), (2, 16), (2, 18)])
def test_patch_embedding_as_matmul_is_the_same_convolution(tubelet_size, size):
    import keras

    conv = PatchEmbedding(8, patch_size=4, is_stem=True, tubelet_size=tubelet_size)
    matmul = PatchEmbedding(8, patch_size=4, is_stem=True, tubelet_size=tubelet_size, as_matmul=True)
    x = RNG.uniform(0, 1, size=(4, size, size, 3)).astype("float32")
    conv(x)
    matmul(x)
    matmul.set_weights(conv.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(matmul(x)), keras.ops.convert_to_numpy(conv(x)), atol=1e-5, rtol=0
    )
    with pytest.raises(ValueError, match="as_matmul"):
        PatchEmbedding(8, is_stem=True, use_conv_embed=True, as_matmul=True)
