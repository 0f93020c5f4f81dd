"""dvfl-tf: DVFL-Net (distilled Video-FocalNet) in Keras 3 for mobile and edge devices.

The model classes are exported lazily so that data tools and the CLI's
`--help` do not pay for importing TensorFlow.
"""

from dvfl_tf._lazy import lazy_getattr

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "VideoFocalNetBackbone": "dvfl_tf.models.video_focalnet.video_focalnet_backbone",
    "VideoFocalNetClassifier": "dvfl_tf.models.video_focalnet.video_focalnet_classifier",
    "PRESETS": "dvfl_tf.models.video_focalnet.video_focalnet_presets",
    "build_model": "dvfl_tf.models.video_focalnet.video_focalnet_presets",
}


__getattr__ = lazy_getattr(__name__, _LAZY_EXPORTS)

__all__ = sorted(_LAZY_EXPORTS)
