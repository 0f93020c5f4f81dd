"""TFLite export for Video-FocalNet / VFL-Net classifiers: float32, fp16, dynamic-range and full int8.

`export_tflite` converts, refuses graphs that would not run on mobile
delegates (Flex/custom ops, CONV_3D, tensors above rank 4), stores class
names in the file, and verifies the result against the Keras model.
"""

from dvfl_tf.core.lazy import lazy_getattr

_LAZY = {
    "export_tflite": "dvfl_tf.export.exporter",
    "format_summary": "dvfl_tf.export.exporter",
    "write_report": "dvfl_tf.export.exporter",
    "ExportRefusedError": "dvfl_tf.export.tflite_graph",
    "inspect_graph": "dvfl_tf.export.tflite_graph",
    "ConversionError": "dvfl_tf.export.tflite_conversion",
    "synthetic_motion_clips": "dvfl_tf.export.calibration",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = sorted(_LAZY)
