"""TensorFlow-free edge runtime: run exported `.tflite` video classifiers with LiteRT or tflite-runtime.

Nothing here imports TensorFlow or Keras, so a Raspberry Pi needs only
`ai-edge-litert` (or `tflite-runtime`), NumPy and OpenCV.
"""

from dvfl_tf.runtime.interpreter import RuntimeNotFoundError, interpreter_module, make_interpreter
from dvfl_tf.runtime.model_metadata import load_labels, load_metadata, read_metadata
from dvfl_tf.runtime.stream import TFLiteStreamClassifier
from dvfl_tf.runtime.tflite_classifier import TFLiteVideoClassifier

__all__ = [
    "TFLiteVideoClassifier",
    "TFLiteStreamClassifier",
    "RuntimeNotFoundError",
    "interpreter_module",
    "make_interpreter",
    "load_labels",
    "load_metadata",
    "read_metadata",
]
