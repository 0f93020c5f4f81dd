"""The clip preprocessing numbers of Video-FocalNet, defined once, without TensorFlow.

Every user of these numbers reads them from here: the model's
`FrameNormalization` (mean, std), `VideoFocalNetPreprocessor` (saved with
`.keras` files and preset directories), the TFLite metadata written by the
exporter and the TF-free edge runtime (`dvfl_tf.runtime.preprocessing`), which
must not import Keras -- hence a module of plain Python beside the Keras code.
"""

# Official ImageNet statistics, in [0, 255] RGB units (timm's IMAGENET_DEFAULT_*),
# applied inside the model by `FrameNormalization`: users and TFLite files feed raw frames.
IMAGENET_MEAN_RGB = (123.675, 116.28, 103.53)
IMAGENET_STD_RGB = (58.395, 57.12, 57.375)

# Evaluation resizes the short side to 256 for 224 crops (the official recipe);
# other crop sizes keep the same ratio.
SHORT_SIDE_RATIO = 256 / 224

# How evaluation picks frames and the crop (see `dvfl_tf.data.frame_sampling`): one frame from
# the middle of each of `num_frames` equal segments, then a centre crop.
EVAL_SAMPLING = "segment"
EVAL_CROP = "center"
INPUT_DESCRIPTION = "raw RGB in [0, 255], shape (frames, height, width, 3)"
CONFIG_KEYS = ("num_frames", "image_size", "resize_size", "crop", "sampling", "mean", "std")


def short_side_for(image_size):
    """The evaluation short side for a crop of `image_size` (an int or (height, width)): 256 for 224."""
    if not isinstance(image_size, int):
        image_size = min(int(s) for s in image_size)
    return int(round(image_size * SHORT_SIDE_RATIO))


def as_size_pair(image_size):
    """(height, width) of an int or a pair."""
    if isinstance(image_size, int):
        return (image_size, image_size)
    pair = tuple(int(s) for s in image_size)
    if len(pair) != 2:
        raise ValueError(f"`image_size` must be an int or a pair of ints. Received: image_size={image_size!r}")
    return pair


def preprocessing_config(
    num_frames,
    image_size,
    resize_size=None,
    crop=EVAL_CROP,
    sampling=EVAL_SAMPLING,
    mean=IMAGENET_MEAN_RGB,
    std=IMAGENET_STD_RGB,
):
    """The preprocessing of a model as a JSON-ready dict (the keys of `CONFIG_KEYS`).

    `resize_size` (short side before the crop) defaults to `short_side_for(image_size)`.
    """
    height, width = as_size_pair(image_size)
    return {
        "num_frames": int(num_frames),
        "image_size": [height, width],
        "resize_size": int(resize_size) if resize_size is not None else short_side_for((height, width)),
        "crop": crop,
        "sampling": sampling,
        "mean": [float(m) for m in mean],
        "std": [float(s) for s in std],
    }
