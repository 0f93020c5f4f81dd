"""`VideoFocalNetPreprocessor`: the clip geometry, preprocessing numbers and class names of a classifier."""

import keras
import keras_hub
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import (
    EVAL_CROP,
    EVAL_SAMPLING,
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
    as_size_pair,
    preprocessing_config,
    short_side_for,
)


@keras.saving.register_keras_serializable(package="dvfl_tf")
class VideoFocalNetPreprocessor(keras_hub.models.Preprocessor):
    """What a `VideoFocalNetClassifier` expects of its input, saved with the model.

    Video decoding and frame sampling run outside the graph (`dvfl_tf.data`,
    OpenCV); this layer carries their numbers so that a `.keras` file, a preset
    directory and an exported `.tflite` file all say how to build a clip:
    `num_frames` frames (one from the middle of each of `num_frames` equal
    segments), the short side resized to `resize_size` (256 for a 224 crop, the
    official recipe, scaled for other sizes), a `crop` ("center") of
    `image_size`, raw RGB in [0, 255]. `mean` and `std` are the normalisation
    the backbone applies inside (its `frame_normalization` layer), so apps and
    TFLite files feed frames as decoded. `class_names` label the outputs.

    Called on clips (as `fit`/`predict` of the classifier do), it casts them to
    float32 and, only when their frames are not `image_size` yet, resizes the
    short side to `resize_size` and crops the centre: model-ready clips (what
    the training pipeline feeds) pass through unchanged.

    Args:
        num_frames: frames per clip.
        image_size: crop size, an int or (height, width).
        resize_size: short side before the crop; None: `image_size * 256 / 224`.
        crop: "center" (evaluation crop).
        sampling: "segment" (evaluation frame sampling).
        mean, std: RGB normalisation in [0, 255] units applied by the backbone.
        class_names: one label per class, or None.
    """

    backbone_cls = VideoFocalNetBackbone

    def __init__(
        self,
        num_frames=8,
        image_size=224,
        resize_size=None,
        crop=EVAL_CROP,
        sampling=EVAL_SAMPLING,
        mean=IMAGENET_MEAN_RGB,
        std=IMAGENET_STD_RGB,
        class_names=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f"`num_frames` must be a positive int. Received: num_frames={num_frames!r}")
        height, width = as_size_pair(image_size)
        resize_size = short_side_for((height, width)) if resize_size is None else int(resize_size)
        if resize_size < min(height, width):
            raise ValueError(
                f"`resize_size` must be at least the crop's short side ({min(height, width)}). "
                f"Received: resize_size={resize_size}"
            )
        if crop != EVAL_CROP:
            raise ValueError(f"`crop` must be {EVAL_CROP!r}. Received: crop={crop!r}")
        if sampling != EVAL_SAMPLING:
            raise ValueError(f"`sampling` must be {EVAL_SAMPLING!r}. Received: sampling={sampling!r}")
        if len(mean) != 3 or len(std) != 3 or any(s <= 0 for s in std):
            raise ValueError(f"`mean` and `std` must be 3 values, std positive. Received: mean={mean}, std={std}")
        self.num_frames = num_frames
        self.image_size = image_size if isinstance(image_size, int) else [height, width]
        self.resize_size = resize_size
        self.crop = crop
        self.sampling = sampling
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]
        self.class_names = class_names

    # keras-hub's `Preprocessor.image_size` is its image converter's; this one is the clip's crop size.
    @property
    def image_size(self):
        """Crop size of each frame: an int or [height, width]."""
        return self._image_size

    @image_size.setter
    def image_size(self, value):
        self._image_size = value

    @property
    def frame_shape(self):
        """(height, width) of one frame of a clip."""
        return as_size_pair(self.image_size)

    @property
    def class_names(self):
        """The label of each output, or None when they are not known."""
        return list(self._class_names) if self._class_names is not None else None

    @class_names.setter
    def class_names(self, names):
        # A tuple of str: Keras does not track it as state.
        self._class_names = tuple(str(name) for name in names) if names is not None else None

    def preprocessing_config(self):
        """The numbers as a JSON-ready dict (also written into TFLite metadata)."""
        return preprocessing_config(
            self.num_frames, self.image_size, self.resize_size, self.crop, self.sampling, self.mean, self.std
        )

    def call(self, x, y=None, sample_weight=None):
        x = ops.cast(x, "float32")
        height, width = self.frame_shape
        if tuple(x.shape[-3:-1]) != (height, width):
            x = self._resize_and_crop(x)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def _resize_and_crop(self, clips):
        """Short side to `resize_size`, then the centre `image_size` crop, on (..., H, W, 3) clips."""
        in_height, in_width = clips.shape[-3], clips.shape[-2]
        if in_height is None or in_width is None:
            raise ValueError(f"Clips need a static frame size to be resized. Received: shape={clips.shape}")
        scale = self.resize_size / min(in_height, in_width)
        new_height, new_width = round(in_height * scale), round(in_width * scale)
        leading = clips.shape[:-3]
        frames = ops.reshape(clips, (-1, in_height, in_width, 3))
        frames = ops.image.resize(frames, (new_height, new_width), interpolation="bilinear", antialias=True)
        height, width = self.frame_shape
        top, left = (new_height - height) // 2, (new_width - width) // 2
        frames = frames[:, top : top + height, left : left + width, :]
        return ops.reshape(frames, tuple(-1 if d is None else d for d in leading) + (height, width, 3))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_frames": self.num_frames,
                "image_size": self.image_size,
                "resize_size": self.resize_size,
                "crop": self.crop,
                "sampling": self.sampling,
                "mean": self.mean,
                "std": self.std,
                "class_names": self.class_names,
            }
        )
        return config


def preprocessor_for_backbone(backbone, class_names=None, **kwargs):
    """The default preprocessor of `backbone`'s clip geometry (evaluation resize and crop)."""
    normalization = backbone.get_layer("frame_normalization")
    return VideoFocalNetPreprocessor(
        num_frames=backbone.num_frames,
        image_size=backbone.image_size,
        mean=normalization.mean,
        std=normalization.std,
        class_names=class_names,
        **kwargs,
    )


def preprocessing_metadata(model):
    """The preprocessing config of `model` (a classifier, or any clip model) for TFLite metadata.

    A classifier's own preprocessor gives it; for other models (a bare Keras
    model, one clip's 4-D graph) it is the evaluation default for their input.
    """
    preprocessor = getattr(model, "preprocessor", None)
    if isinstance(preprocessor, VideoFocalNetPreprocessor):
        return preprocessor.preprocessing_config()
    shape = list(model.inputs[0].shape)
    # (batch, frames, H, W, 3) for a classifier, (frames, H, W, 3) for a one-clip graph.
    num_frames, height, width = shape[-4], shape[-3], shape[-2]
    return preprocessing_config(int(num_frames), (int(height), int(width)))
