"""TFLite export for Video-FocalNet / VFL-Net classifiers: float32, fp16, dynamic-range and full int8.

`export_tflite` converts, refuses graphs that would not run on mobile
delegates (Flex/custom ops, CONV_3D, tensors above rank 4), stores class
names in the file, and verifies the result against the Keras model.
"""

_LAZY = {
    "export_tflite": "dvfl_tf.export.exporter",
    "format_summary": "dvfl_tf.export.exporter",
    "write_report": "dvfl_tf.export.exporter",
    "ExportRefusedError": "dvfl_tf.export.tflite_graph",
    "inspect_graph": "dvfl_tf.export.tflite_graph",
    "ConversionError": "dvfl_tf.export.converter",
    "synthetic_motion_clips": "dvfl_tf.export.calibration",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dvfl_tf.export' has no attribute {name!r}")


__all__ = sorted(_LAZY)
