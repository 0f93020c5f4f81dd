"""Registers dvfl_tf's Keras classes with Keras as soon as Keras is imported.

`keras.saving.load_model` finds a custom class only through
`keras.saving.get_registered_object("dvfl_tf>Name")`, i.e. after the module
defining it has run its `@register_keras_serializable`: Keras imports the
module path of a config only for its own packages. Importing those modules at
`import dvfl_tf` would import TensorFlow (seconds) and slow down `dvfl-tf
--help`, so `import dvfl_tf` installs a post-import hook on `keras` instead
(wrapt's, the library TensorFlow itself depends on): the classes are registered
right after Keras is imported -- at once if it already is -- and never before.
"""

import importlib
import sys

# In dependency order: a module comes after the ones it imports from.
SERIALIZABLE_MODULES = (
    "dvfl_tf.models.video_focalnet.video_focalnet_layer_norm",
    "dvfl_tf.models.video_focalnet.video_focalnet_embedding",
    "dvfl_tf.models.video_focalnet.video_focalnet_modulation",
    "dvfl_tf.models.video_focalnet.video_focalnet_block",
    "dvfl_tf.models.video_focalnet.video_focalnet_pooling",
    "dvfl_tf.models.video_focalnet.video_focalnet_backbone",
    "dvfl_tf.models.video_focalnet.video_focalnet_preprocessor",
    "dvfl_tf.models.video_focalnet.video_focalnet_classifier",
    "dvfl_tf.training.optimization",
    "dvfl_tf.training.distiller",
)


def _initializing(module_name):
    spec = getattr(sys.modules.get(module_name), "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


def _after_keras(_keras_module=None):
    # The models extend keras-hub's base classes, and keras-hub imports Keras first: when this hook
    # fires inside `import keras_hub`, keras_hub is half-made; `_after_keras_hub` registers the
    # classes once its body has run.
    if not _initializing("keras_hub"):
        register_keras_classes()


def _after_keras_hub(_keras_hub_module=None):
    # Runs right after keras_hub's body, while importlib still marks it as initializing.
    register_keras_classes()


def register_keras_classes(_keras_module=None):
    """Imports every module that registers dvfl_tf classes with Keras."""
    # When one of our own modules is what imported Keras, it is still half-run; a module
    # importing names from it cannot be imported yet. It registers itself when it ends;
    # the others are imported here where possible and otherwise by whoever imports them.
    busy = any(_initializing(name) for name in list(sys.modules) if name.startswith("dvfl_tf."))
    for name in SERIALIZABLE_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            if not busy:
                raise


def install():
    """Registers the classes once Keras is imported (now, if it already is)."""
    try:
        import wrapt  # noqa: PLC0415 (optional: without it, registration happens when Keras is already there)
    except ImportError:  # wrapt comes with TensorFlow; without it, register when Keras is already there
        if "keras" in sys.modules:
            register_keras_classes()
        return
    wrapt.register_post_import_hook(_after_keras, "keras")
    wrapt.register_post_import_hook(_after_keras_hub, "keras_hub")
