"""dvfl-tf: DVFL-Net (distilled Video-FocalNet) in Keras 3 for mobile and edge devices.

The model classes are exported lazily so that data tools and the CLI's
`--help` do not pay for importing TensorFlow.
"""

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "VideoFocalNetBackbone": "dvfl_tf.models.video_focalnet.video_focalnet_backbone",
    "VideoFocalNetClassifier": "dvfl_tf.models.video_focalnet.video_focalnet_classifier",
    "PRESETS": "dvfl_tf.models.video_focalnet.video_focalnet_presets",
    "build_model": "dvfl_tf.models.video_focalnet.video_focalnet_presets",
}


def __getattr__(name):
    if name in _LAZY_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'dvfl_tf' has no attribute {name!r}")


__all__ = sorted(_LAZY_EXPORTS)
