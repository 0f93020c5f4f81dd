"""`TFLiteVideoClassifier`: runs an exported `.tflite` video classifier without TensorFlow."""

import os

import numpy as np

from dvfl_tf.core.errors import ModelFileError, first_line
from dvfl_tf.core.model_files import check_tflite_file
from dvfl_tf.runtime.interpreter import RuntimeNotFoundError, interpreter_module, make_interpreter, run_clip
from dvfl_tf.runtime.model_metadata import LabelsError, load_labels, load_metadata
from dvfl_tf.runtime.preprocessing import (
    clip_from_frames,
    clip_from_video,
    resize_size_from_metadata,
    short_side_for,
    softmax,
    top_k,
)

STREAM_FORMAT = "dvfl_tf.video_stream_classifier"  # the metadata `format` of a stream file (runtime/stream.py)


class NonFiniteOutputError(ValueError):
    """The model answered NaN or inf: its weights (or its quantization) are broken."""


def check_finite(logits, source):
    """`logits`, or `NonFiniteOutputError` when any is NaN or inf (a probability table of nan% helps no one)."""
    if not np.isfinite(logits).all():
        raise NonFiniteOutputError(
            f"{source}: the model's outputs are not finite (NaN or inf); its weights are broken "
            "(a diverged run?). Use a checkpoint of a finite epoch."
        )
    return logits


class VideoClassifier:
    """What every clip classifier shares: class names, preprocessing, top-k.

    Subclasses set `num_frames`, `frame_shape`, `num_classes` (and
    `short_side`, the resize before the crop, when the model says it) and
    implement `predict_clip`; this keeps `.keras` and `.tflite` predictions on
    one preprocessing path.
    """

    short_side = None  # None: the 256/224 rule for `image_size`

    def _set_class_names(self, labels_path=None, class_names=None, source="model metadata"):
        if labels_path is not None:
            class_names = load_labels(labels_path)
        names = class_names or [f"class_{i}" for i in range(self.num_classes)]
        if len(names) != self.num_classes:
            raise LabelsError(
                f"{labels_path or source}: {len(names)} class names for a model with {self.num_classes} outputs"
            )
        self.class_names = list(names)

    @property
    def image_size(self):
        return self.frame_shape[0]

    def predict_clip(self, clip):
        raise NotImplementedError

    def clip_from_frames(self, frames):
        """The evaluation clip for this model from uint8 RGB frames (N, H, W, 3)."""
        return clip_from_frames(frames, self.num_frames, self.image_size, self.resize_size)

    @property
    def resize_size(self):
        """Short side of the frames before the centre crop."""
        return self.short_side or short_side_for(self.image_size)

    def predict_video(self, video_path, top_k=5):
        """[(label, probability)] of the `top_k` classes for a video file (evaluation preprocessing)."""
        clip = clip_from_video(video_path, self.num_frames, self.image_size, self.resize_size)
        return self.top_k(self.predict_clip(clip), top_k)

    def top_k(self, probabilities, k=5):
        return top_k(probabilities, self.class_names, k)


class TFLiteVideoClassifier(VideoClassifier):
    """A `.tflite` file from `dvfl-tf export-tflite`, ready to classify clips and videos.

    The input is one clip (num_frames, H, W, 3) of raw RGB in [0, 255]
    (float or uint8); int8/uint8 models are quantized with the file's own
    scale and zero point, so callers never see quantization.

    Args:
        path: the `.tflite` file.
        labels_path: optional labels file overriding the names stored in the model.
        num_threads: interpreter threads (None = the runtime's default).
    """

    def __init__(self, path, labels_path=None, num_threads=None):
        path = check_tflite_file(os.fspath(path))
        self.path = path
        try:
            self.interpreter = make_interpreter(model_path=path, num_threads=num_threads)
            self.metadata = load_metadata(path)
        except RuntimeNotFoundError:
            raise
        except Exception as error:  # LiteRT raises ValueError/RuntimeError for a damaged flatbuffer
            raise ModelFileError(f"{path}: damaged .tflite model ({first_line(error)})") from error
        if self.metadata.get("format") == STREAM_FORMAT:
            raise ModelFileError(
                f"{path}: a stream model (export-tflite --stream), which takes frames as they arrive; run it with "
                "`dvfl-tf predict VIDEO --model ... --stream`"
            )
        self.backend = interpreter_module()[1]
        input_detail = self.interpreter.get_input_details()[0]
        output_detail = self.interpreter.get_output_details()[0]
        shape = [int(d) for d in input_detail["shape"]]
        if len(shape) != 4 or shape[-1] != 3:
            raise ValueError(f"{path}: expected an input of shape (frames, H, W, 3). Received: shape={shape}")
        self.num_frames, height, width = shape[0], shape[1], shape[2]
        self.frame_shape = (height, width)
        self.num_classes = int(output_detail["shape"][-1])
        self._set_class_names(labels_path, self.metadata.get("class_names"), source=f"{path} (its metadata)")
        # The resize written by the exporter (`preprocessing` in the metadata), when the file has one.
        self.short_side = resize_size_from_metadata(self.metadata, height)

    def predict_logits(self, clip):
        clip = np.asarray(clip)
        expected = (self.num_frames,) + self.frame_shape + (3,)
        if clip.shape != expected:
            raise ValueError(f"clip must have shape {expected}. Received: shape={clip.shape}")
        return check_finite(run_clip(self.interpreter, clip.astype(np.float32)).reshape(-1), self.path)

    def predict_clip(self, clip):
        """Class probabilities (num_classes,) of one raw-RGB clip."""
        return softmax(self.predict_logits(clip))
