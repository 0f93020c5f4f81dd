"""`KerasVideoClassifier`: the `.keras` counterpart of the runtime's `TFLiteVideoClassifier`.

Same preprocessing and the same methods, so `dvfl-tf predict` gives
comparable answers for a model before and after export.
"""

import os

import keras
import numpy as np

from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.model_loading import load_keras_model
from dvfl_tf.runtime.preprocessing import softmax
from dvfl_tf.runtime.tflite_classifier import VideoClassifier, check_finite


class KerasVideoClassifier(VideoClassifier):
    def __init__(self, model_or_path, labels_path=None, class_names=None):
        model = load_keras_model(model_or_path) if isinstance(model_or_path, (str, os.PathLike)) else model_or_path
        source = os.fspath(model_or_path) if isinstance(model_or_path, (str, os.PathLike)) else "the model"
        self.model = model
        self.graph = model.single_clip_model() if hasattr(model, "single_clip_model") else model
        geometry = clip_geometry(self.graph)
        self.num_frames, self.frame_shape = geometry.num_frames, geometry.frame_shape
        self.num_classes = int(self.graph.outputs[0].shape[-1])
        # The names saved with the model (`VideoFocalNetClassifier(class_names=...)`) unless overridden.
        class_names = class_names or getattr(model, "class_names", None)
        self._set_class_names(labels_path, class_names, source=source)
        # The resize saved with the model (its preprocessor), as the TFLite runtime reads it from metadata.
        self.short_side = getattr(getattr(model, "preprocessor", None), "resize_size", None)
        self.source = source

    def predict_clip(self, clip):
        logits = keras.ops.convert_to_numpy(self.graph(np.asarray(clip, np.float32), training=False))
        return softmax(check_finite(logits.reshape(-1), self.source))
