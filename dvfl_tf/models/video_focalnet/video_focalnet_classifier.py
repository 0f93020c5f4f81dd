"""Video-FocalNet / VFL-Net action classifier: a keras-hub `Task` (backbone + clip pooling + linear head)."""

import keras
import keras_hub

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import FoldFrames
from dvfl_tf.models.video_focalnet.video_focalnet_pooling import ClipPooling
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import (
    VideoFocalNetPreprocessor,
    preprocessor_for_backbone,
)
from dvfl_tf.models.video_focalnet.video_focalnet_presets import (
    check_preset_location,
    is_builtin_preset,
    save_preset_folder,
)
from dvfl_tf.models.video_focalnet.video_focalnet_streaming import build_streaming_model


@keras.saving.register_keras_serializable(package="dvfl_tf")
class VideoFocalNetClassifier(keras_hub.models.Task):
    """Classifies clips of raw RGB frames.

    Input: (batch, num_frames, height, width, 3), RGB in [0, 255].
    Output: (batch, num_classes) logits.

    The clip is folded to (batch * frames, H, W, 3) before the backbone; the
    head averages each frame's tokens, then the frames (as the official
    model), and applies `head`. `single_clip_model()` gives the same function
    for one clip with a 4-D input (frames, H, W, 3), the graph exported to TFLite.

    Args:
        backbone: a `VideoFocalNetBackbone`.
        num_classes: number of outputs.
        preprocessor: a `VideoFocalNetPreprocessor` (clip geometry, preprocessing
            numbers, class names); None: the default one for the backbone.
            `fit`/`predict`/`evaluate` map it over their data (keras-hub's
            `Task`); on model-ready clips it only casts to float32.
        dropout: dropout before the head.
        class_names: shortcut for the preprocessor's class names.
        compile: False by default, unlike keras-hub tasks: training compiles the
            `Distiller` that wraps the classifier, never the classifier itself.
    """

    backbone_cls = VideoFocalNetBackbone
    preprocessor_cls = VideoFocalNetPreprocessor

    def __init__(
        self, backbone, num_classes, preprocessor=None, dropout=0.0, class_names=None, compile=False, **kwargs
    ):
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"`num_classes` must be a positive integer. Received: num_classes={num_classes!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
        if preprocessor is None:
            preprocessor = preprocessor_for_backbone(backbone)
        _check_preprocessor(preprocessor, backbone)
        if class_names is not None:
            preprocessor.class_names = _check_class_names(class_names, num_classes)
        _check_class_names(preprocessor.class_names, num_classes)
        dtype = kwargs.get("dtype", backbone.dtype_policy)
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        height, width = backbone.frame_shape
        self.fold_frames = FoldFrames(dtype=dtype, name="fold_frames")
        self.pool = ClipPooling(backbone.frames_after_stem, dtype=dtype, name="pool")
        self.head_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="head_dropout")
        self.head = keras.layers.Dense(
            num_classes,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype=dtype,
            name="head",
        )

        # === Functional model ===
        inputs = keras.Input(shape=(backbone.num_frames, height, width, 3), name="video")
        outputs = self._head_on_frames(backbone(self.fold_frames(inputs)))
        super().__init__(inputs=inputs, outputs=outputs, compile=compile, **kwargs)

        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout

    def compile(self, optimizer="auto", loss="auto", *, metrics="auto", **kwargs):
        """keras-hub's defaults for a classifier of logits: Adam, sparse cross-entropy, accuracy."""
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-4)
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if metrics == "auto":
            metrics = [keras.metrics.SparseCategoricalAccuracy()]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    @property
    def class_names(self):
        """The label of each output (the preprocessor's, saved with the model), or None when not known."""
        return self.preprocessor.class_names if self.preprocessor is not None else None

    def set_class_names(self, class_names):
        """Sets the labels saved with the model (one per class, or None)."""
        self.preprocessor.class_names = _check_class_names(class_names, self.num_classes)

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

    def rebuilt(self, **backbone_changes):
        """A new classifier with this one's weights, its backbone rebuilt from its config with `backbone_changes`.

        Shares the preprocessor. For export-time variants that must not touch the user's model
        (the Edge TPU activation swap, the input-normalization and norm folds); the `folded`
        flags of those folds (not part of the config) are carried over, so folds compose.
        """
        backbone = self.backbone.__class__.from_config({**self.backbone.get_config(), **backbone_changes})
        copy = VideoFocalNetClassifier(
            backbone, num_classes=self.num_classes, preprocessor=self.preprocessor, dropout=self.dropout, name=self.name
        )
        copy.set_weights(self.get_weights())
        # The same constructor arguments build the same nested layers in the same order.
        for old, new in zip(self.backbone._flatten_layers(), backbone._flatten_layers()):  # noqa: SLF001
            if hasattr(old, "folded") and hasattr(new, "folded"):
                new.folded = old.folded
        return copy

    def streaming_model(self, name=None):
        """The same function one frame (one tubelet) at a time, for a causal backbone.

        Inputs: `frames` (1, tubelet_size * H, W, 3), `frame_weight` (1, 1) = 1 / steps
        so far, then the states; outputs: logits (1, num_classes) for the frames so
        far, then the new states in the input order. Shares weights with this model;
        see `video_focalnet_streaming.build_streaming_model`.
        """
        return build_streaming_model(self, name=name)

    def get_config(self):
        return {
            **super().get_config(),  # backbone, preprocessor, name
            "trainable": self.trainable,
            "num_classes": self.num_classes,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # Files written before the preprocessor existed keep their class names at the top level.
        class_names = config.pop("class_names", None)
        if isinstance(config.get("backbone"), dict):
            config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        if isinstance(config.get("preprocessor"), dict):
            config["preprocessor"] = keras.saving.deserialize_keras_object(config["preprocessor"])
        if config.get("preprocessor") is None:
            config["preprocessor"] = preprocessor_for_backbone(config["backbone"], class_names=class_names)
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, num_classes=None, load_weights=True, **kwargs):
        """A built-in preset name (fresh weights) or a `save_to_preset` directory (weights loaded).

        Built-in names (`dvfl_tf.PRESETS`) are architectures only: the model gets
        fresh (random) weights, as `build_model`; `num_classes` is required and
        `kwargs` override backbone arguments. A directory is read by keras-hub's
        loader (`task.json`, `model.weights.h5`, `task.weights.h5`,
        `preprocessor.json`); a `num_classes` given there builds a fresh head.
        """
        check_preset_location(preset)
        if is_builtin_preset(preset):
            # keras-hub's loader would download a registered preset's weights; ours are architectures only.
            if num_classes is None:
                raise ValueError(f"A built-in preset needs `num_classes`. Received: preset={preset!r}")
            backbone = cls.backbone_cls.from_preset(preset, **kwargs)  # logs that the weights are fresh
            return cls(backbone, num_classes=num_classes, name=preset)
        kwargs = {key: value for key, value in kwargs.items() if value is not None}
        if num_classes is not None:
            kwargs["num_classes"] = num_classes
        return super().from_preset(preset, load_weights=load_weights, **kwargs)

    def save_to_preset(self, preset_dir, max_shard_size=10, overwrite=False):
        """keras-hub's preset folder; a folder that already holds files is replaced only with `overwrite=True`."""
        save_preset_folder(
            lambda folder: super(VideoFocalNetClassifier, self).save_to_preset(folder, max_shard_size=max_shard_size),
            preset_dir,
            overwrite,
        )


def _check_preprocessor(preprocessor, backbone):
    if not isinstance(preprocessor, VideoFocalNetPreprocessor):
        raise ValueError(f"`preprocessor` must be a VideoFocalNetPreprocessor. Received: preprocessor={preprocessor!r}")
    normalization = backbone.get_layer("frame_normalization")
    expected = (backbone.num_frames, tuple(backbone.frame_shape), tuple(normalization.mean), tuple(normalization.std))
    given = (
        preprocessor.num_frames,
        tuple(preprocessor.frame_shape),
        tuple(preprocessor.mean),
        tuple(preprocessor.std),
    )
    if given != expected:
        raise ValueError(
            "`preprocessor` must match the backbone's clip (num_frames, (height, width), mean, std) "
            f"{expected}. Received: {given}"
        )


def _check_class_names(class_names, num_classes):
    if class_names is None:
        return None
    names = [str(name) for name in class_names]
    if len(names) != num_classes:
        raise ValueError(f"`class_names` must have one name per class ({num_classes}). Received: {len(names)} names")
    return names


def build_model(preset, num_classes, num_frames=None, image_size=None, drop_path_rate=None, **backbone_overrides):
    """Alias of `VideoFocalNetClassifier.from_preset`: for a built-in preset name, fresh weights.

    `num_frames`, `image_size`, `drop_path_rate` and any other backbone
    argument can be overridden (None keeps the preset's value).
    """
    return VideoFocalNetClassifier.from_preset(
        preset,
        num_classes,
        num_frames=num_frames,
        image_size=image_size,
        drop_path_rate=drop_path_rate,
        **backbone_overrides,
    )
