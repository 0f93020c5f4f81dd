"""dvfl-tf: DVFL-Net (distilled Video-FocalNet) in Keras 3 for mobile and edge devices.

The model classes are exported lazily so that data tools and the CLI's
`--help` do not pay for importing TensorFlow. `import dvfl_tf` is still enough
for `keras.saving.load_model` of every `.keras` file the project writes: the
classes are registered with Keras as soon as Keras is imported.
"""

from dvfl_tf import _keras_registration
from dvfl_tf.core.lazy import lazy_getattr

__version__ = "0.1.0"

_LAZY_EXPORTS = {
    "VideoFocalNetBackbone": "dvfl_tf.models.video_focalnet.video_focalnet_backbone",
    "VideoFocalNetClassifier": "dvfl_tf.models.video_focalnet.video_focalnet_classifier",
    "VideoFocalNetPreprocessor": "dvfl_tf.models.video_focalnet.video_focalnet_preprocessor",
    "PRESETS": "dvfl_tf.models.video_focalnet.video_focalnet_presets",
    "build_model": "dvfl_tf.models.video_focalnet.video_focalnet_classifier",
    "start_from_pretrained": "dvfl_tf.convert.pretrained",
}


__getattr__ = lazy_getattr(__name__, _LAZY_EXPORTS)

__all__ = sorted(_LAZY_EXPORTS)

_keras_registration.install()
