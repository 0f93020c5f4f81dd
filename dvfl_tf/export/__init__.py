"""TFLite export for Video-FocalNet / VFL-Net classifiers: float32, fp16, dynamic-range and full int8.

`export_model(model, path, ExportOptions(...))` runs the steps prepare ->
convert_and_check (refuses graphs that would not run on mobile delegates:
Flex/custom ops, CONV_3D, tensors above rank 4) -> package (class names and
input conventions in the file) -> verify_export (against the Keras model),
and returns an `ExportReport`. `export_tflite(model, path, mode=..., ...)` is
the same in one call with keyword arguments.
"""

from dvfl_tf.core.lazy import lazy_getattr

_LAZY = {
    "ExportOptions": "dvfl_tf.export.exporter",
    "export_model": "dvfl_tf.export.exporter",
    "export_tflite": "dvfl_tf.export.exporter",
    "ExportReport": "dvfl_tf.export.export_report",
    "format_summary": "dvfl_tf.export.export_report",
    "export_stream_model": "dvfl_tf.export.stream_exporter",
    "export_stream_tflite": "dvfl_tf.export.stream_exporter",
    "ExportRefusedError": "dvfl_tf.export.tflite_graph",
    "inspect_graph": "dvfl_tf.export.tflite_graph",
    "ConversionError": "dvfl_tf.export.tflite_conversion",
    "synthetic_motion_clips": "dvfl_tf.export.calibration",
    "layer_error_report": "dvfl_tf.export.quantization_debug",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = sorted(_LAZY)
