"""Video-FocalNet / VFL-Net action classifier: backbone + clip pooling + linear head."""

import keras

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_layers import ClipPooling, FoldFrames
from dvfl_tf.models.video_focalnet.video_focalnet_presets import preset_backbone_config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class VideoFocalNetClassifier(keras.Model):
    """Classifies clips of raw RGB frames.

    Input: (batch, num_frames, height, width, 3), RGB in [0, 255].
    Output: (batch, num_classes) logits.

    The clip is folded to (batch * frames, H, W, 3) before the backbone; the
    head averages each frame's tokens, then the frames (as the official
    model), and applies `head`. `single_clip_model()` gives the same function
    for one clip with a 4-D input (frames, H, W, 3), the graph exported to TFLite.
    """

    def __init__(self, backbone, num_classes, dropout=0.0, class_names=None, **kwargs):
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"`num_classes` must be a positive integer. Received: num_classes={num_classes!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
        class_names = _check_class_names(class_names, num_classes)
        height, width = backbone.frame_shape
        self.pool = ClipPooling(backbone.frames_after_stem, name="pool")
        self.head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
        self.head = keras.layers.Dense(
            num_classes,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="head",
        )

        inputs = keras.Input(shape=(backbone.num_frames, height, width, 3), name="video")
        x = FoldFrames(name="fold_frames")(inputs)
        outputs = self._head_on_frames(backbone(x))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone
        self.num_classes = num_classes
        self.dropout = dropout
        self.set_class_names(class_names)

    @property
    def class_names(self):
        """The label of each output (saved with the model), or None when they are not known."""
        return list(self._class_names) if self._class_names is not None else None

    def set_class_names(self, class_names):
        """Sets the labels saved with the model (one per class, or None)."""
        names = _check_class_names(class_names, self.num_classes)
        # A tuple of str: Keras does not track it as state.
        self._class_names = tuple(names) if names is not None else None

    def _head_on_frames(self, features):
        return self.head(self.head_dropout(self.pool(features)))

    @property
    def num_frames(self):
        return self.backbone.num_frames

    @property
    def frame_shape(self):
        return self.backbone.frame_shape

    def single_clip_model(self, name=None):
        """The same function for one clip, input (num_frames, H, W, 3): every tensor at most 4-D.

        Shares weights with this model. This is the graph the TFLite exporter converts.
        """
        height, width = self.frame_shape
        frames = keras.Input(shape=(height, width, 3), batch_size=self.num_frames, name="frames")
        logits = self._head_on_frames(self.backbone(frames))
        return keras.Model(frames, logits, name=name or f"{self.name}_single_clip")

    def streaming_model(self, name=None):
        """The same function one frame (one tubelet) at a time, for a causal backbone.

        Inputs: `frames` (1, tubelet_size * H, W, 3), `frame_weight` (1, 1) = 1 / steps
        so far, then the states; outputs: logits (1, num_classes) for the frames so
        far, then the new states in the input order. Shares weights with this model;
        see `video_focalnet_streaming.build_streaming_model`.
        """
        from dvfl_tf.models.video_focalnet.video_focalnet_streaming import build_streaming_model

        return build_streaming_model(self, name=name)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "num_classes": self.num_classes,
            "dropout": self.dropout,
            "class_names": self.class_names,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config["backbone"], dict):
            config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, num_classes, **overrides):
        """Builds a preset (see `dvfl_tf.PRESETS`) with fresh weights."""
        return build_model(preset, num_classes=num_classes, **overrides)


def _check_class_names(class_names, num_classes):
    if class_names is None:
        return None
    names = [str(name) for name in class_names]
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). Received: {len(names)} names"
        )
    return names


def build_model(preset, num_classes, num_frames=None, image_size=None, drop_path_rate=None, **backbone_overrides):
    """A `VideoFocalNetClassifier` for `preset` with fresh weights.

    `num_frames`, `image_size`, `drop_path_rate` and any other backbone
    argument can be overridden.
    """
    config = preset_backbone_config(
        preset,
        num_frames=num_frames,
        image_size=image_size,
        drop_path_rate=drop_path_rate,
        **backbone_overrides,
    )
    backbone = VideoFocalNetBackbone(**config, name="backbone")
    return VideoFocalNetClassifier(backbone, num_classes=num_classes, name=preset)
