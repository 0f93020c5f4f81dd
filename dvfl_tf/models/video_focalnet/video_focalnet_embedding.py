"""The input side of Video-FocalNet: frame normalization, frame folding, patch and tubelet embedding.

Layout: frames are folded into the batch axis, so spatial tensors are
(batch * frames, height, width, channels); no tensor exceeds rank 4 and no Conv3D
is used. Sublayer names follow the official state_dict names, which the
checkpoint converter relies on.
"""

import keras
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_activations import check_positive_int
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import layer_norm
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import IMAGENET_MEAN_RGB, IMAGENET_STD_RGB


@keras.saving.register_keras_serializable(package="dvfl_tf")
class FrameNormalization(keras.layers.Layer):
    """Maps raw RGB frames in [0, 255] to the official normalised input.

    Fixed constants, not weights: users and TFLite files feed raw frames.

    `folded=True` passes the frames through unchanged: the normalization then lives
    in the stem convolution's weights (`dvfl_tf.export.input_folding`, for TFLite
    files), which saves two element-wise passes over every input pixel.
    """

    def __init__(self, mean=IMAGENET_MEAN_RGB, std=IMAGENET_STD_RGB, folded=False, **kwargs):
        super().__init__(**kwargs)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f"`mean` and `std` must have 3 values (RGB). Received: mean={mean}, std={std}")
        if any(s <= 0 for s in std):
            raise ValueError(f"`std` must be positive. Received: std={std}")
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.folded = bool(folded)

    def call(self, inputs):
        if self.folded:
            return ops.cast(inputs, self.compute_dtype)
        mean = ops.convert_to_tensor(self.mean, dtype=self.compute_dtype)
        std = ops.convert_to_tensor(self.std, dtype=self.compute_dtype)
        return (ops.cast(inputs, self.compute_dtype) - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"mean": list(self.mean), "std": list(self.std), "folded": self.folded})
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class FoldFrames(keras.layers.Layer):
    """(batch, frames, height, width, channels) -> (batch * frames, height, width, channels)."""

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (-1, shape[2], shape[3], shape[4]))

    def compute_output_shape(self, input_shape):
        batch, frames = input_shape[0], input_shape[1]
        folded = None if batch is None or frames is None else batch * frames
        return (folded,) + tuple(input_shape[2:])


@keras.saving.register_keras_serializable(package="dvfl_tf")
class PatchEmbedding(keras.layers.Layer):
    """Official `PatchEmbed`: the stem (`is_stem=True`) or a downsample between stages.

    - default: a `patch_size` x `patch_size` convolution with the same stride;
    - `use_conv_embed`: 7x7 stride 4 padding 2 (stem) or 3x3 stride 2 padding 1
      (downsample), the official overlapping embedding;
    - `tubelet_size` > 1 (stem only): `tubelet_size` consecutive frames are
      folded into channels and embedded by a 2-D convolution, which equals the
      official Conv3d with kernel and stride (tubelet_size, patch, patch).

    `norm`: "layer" (official), "batch", "affine" or "dynamic_tanh" (see `layer_norm`; here the last is
    "affine"). `as_matmul` (non-overlapping
    patches only): the same convolution and weights computed as space-to-depth and one
    matrix product (a FULLY_CONNECTED in TFLite; XNNPACK's int8 conv on the stem's few
    input channels is half as fast as its GEMM).

    Input (batch * frames, H, W, C); output (batch * frames / tubelet_size, H', W', embed_dim).
    """

    def __init__(
        self,
        embed_dim,
        patch_size=4,
        use_conv_embed=False,
        is_stem=False,
        tubelet_size=1,
        use_norm=True,
        norm="layer",
        as_matmul=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("embed_dim", embed_dim)
        check_positive_int("patch_size", patch_size)
        check_positive_int("tubelet_size", tubelet_size)
        if tubelet_size > 1 and (use_conv_embed or not is_stem):
            raise ValueError(
                "`tubelet_size` > 1 is only defined for the non-overlapping stem "
                f"(is_stem=True, use_conv_embed=False). Received: tubelet_size={tubelet_size}, "
                f"is_stem={is_stem}, use_conv_embed={use_conv_embed}"
            )
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.use_conv_embed = use_conv_embed
        self.is_stem = is_stem
        self.tubelet_size = tubelet_size
        self.use_norm = use_norm
        self.norm_kind = norm
        if as_matmul and use_conv_embed:
            raise ValueError(
                "`as_matmul` needs non-overlapping patches (use_conv_embed=False). "
                f"Received: as_matmul={as_matmul}, use_conv_embed={use_conv_embed}"
            )
        self.as_matmul = bool(as_matmul)

        if use_conv_embed:
            kernel, stride, padding = (7, 4, 2) if is_stem else (3, 2, 1)
        else:
            kernel, stride, padding = patch_size, patch_size, 0
        self.kernel_size, self.stride, self.padding = kernel, stride, padding
        # PyTorch pads symmetrically; an explicit zero pad + "valid" conv matches it
        # exactly, where TF's "same" would pad asymmetrically.
        self.pad = keras.layers.ZeroPadding2D(padding, name="pad", dtype=self.dtype_policy) if padding else None
        self.proj = keras.layers.Conv2D(
            embed_dim, kernel, strides=stride, padding="valid", name="proj", dtype=self.dtype_policy
        )
        # DyT's map cannot fold into the conv before it, and its tanh after the matmul stem makes the converter
        # drop the stem's 4-D shapes (a stream file's outer dimension 1): with norm="dynamic_tanh" the patch
        # norm is the per-channel map alone (ChannelAffine), which folds whole into the conv.
        patch_norm = "affine" if norm == "dynamic_tanh" else norm
        self.norm = layer_norm("norm", dtype=self.dtype_policy, norm=patch_norm) if use_norm else None

    def build(self, input_shape):
        height, width, channels = input_shape[1], input_shape[2], input_shape[3]
        conv_shape = (None, height, width, channels * self.tubelet_size)
        if self.pad is not None:
            self.pad.build(conv_shape)
            conv_shape = self.pad.compute_output_shape(conv_shape)
        self.proj.build(conv_shape)
        if self.norm is not None:
            self.norm.build((None, None, None, self.embed_dim))

    def _fold_tubelets(self, x, height):
        # (B*T, H, W, C) -> (B*T/ts, H, W, ts*C), channels ordered (frame, colour),
        # all within rank 4. The input may also be (B*T/ts, ts*H, W, C), each tubelet's
        # frames stacked vertically: the same bytes, so the same reshape.
        ts = self.tubelet_size
        width, channels = x.shape[2], x.shape[3]
        x = ops.reshape(x, (-1, ts, height * width, channels))
        x = ops.transpose(x, (0, 2, 1, 3))
        return ops.reshape(x, (-1, height, width, ts * channels))

    def embed_stacked_tubelets(self, inputs):
        """The stem on tubelets given as (tubelets, tubelet_size * H, W, C), frames stacked vertically.

        The streaming model's input: one tubelet with outer dimension 1, and the
        same memory as its `tubelet_size` frames (tubelet_size, H, W, C) back to back.
        """
        if not self.is_stem:
            raise ValueError("embed_stacked_tubelets is the stem's. Received: is_stem=False")
        x = inputs
        if self.tubelet_size > 1:
            x = self._fold_tubelets(x, x.shape[1] // self.tubelet_size)
        return self._embed(x)

    def call(self, inputs):
        x = inputs
        if self.tubelet_size > 1:
            x = self._fold_tubelets(x, x.shape[1])
        return self._embed(x)

    def _patch_matmul(self, x):
        # The patch convolution (kernel = stride = p, no padding) as space-to-depth and one matrix product with
        # the same kernel, in 4-D tensors whose outer dimension stays N (a stream graph's is 1):
        # (N, H, W, C) -> (N, H, W/p, p*C) -> transpose -> (N, W/p, H, p*C) -> (N, W/p, H/p, p*p*C), whose
        # channels run (kernel row, kernel column, input channel) as the conv kernel's do; after the product
        # the two spatial axes are swapped back.
        p, (height, width, channels) = self.patch_size, x.shape[1:]
        rows, cols = height // p, width // p
        x = x[:, : rows * p, : cols * p]  # a "valid" conv drops the rest
        x = ops.reshape(x, (-1, rows * p, cols, p * channels))
        x = ops.transpose(x, (0, 2, 1, 3))
        x = ops.reshape(x, (-1, cols, rows, p * p * channels))
        x = ops.matmul(x, ops.reshape(self.proj.kernel, (p * p * channels, self.embed_dim)))
        if self.proj.use_bias:
            x = x + self.proj.bias
        return ops.transpose(x, (0, 2, 1, 3))

    def _embed(self, x):
        if self.pad is not None:
            x = self.pad(x)
        x = self._patch_matmul(x) if self.as_matmul else self.proj(x)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def compute_output_shape(self, input_shape):
        def out(size):
            if size is None:
                return None
            return (size + 2 * self.padding - self.kernel_size) // self.stride + 1

        batch = input_shape[0]
        if batch is not None:
            batch //= self.tubelet_size
        return (batch, out(input_shape[1]), out(input_shape[2]), self.embed_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "embed_dim": self.embed_dim,
                "patch_size": self.patch_size,
                "use_conv_embed": self.use_conv_embed,
                "is_stem": self.is_stem,
                "tubelet_size": self.tubelet_size,
                "use_norm": self.use_norm,
                "norm": self.norm_kind,
                "as_matmul": self.as_matmul,
            }
        )
        return config
