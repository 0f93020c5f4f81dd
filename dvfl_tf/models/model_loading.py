"""The one loader of `.keras` model files, used by training, export, evaluation, runtime tools and benchmarks.

Every dvfl_tf class is registered with Keras when Keras is imported (see
`dvfl_tf._keras_registration`), so `keras.saving.load_model` finds them; this
module adds what every caller needs on top: a damaged file named in one line,
a `Distiller` file unwrapped to its student, and weights checked to be finite.
"""

import os

import keras
import numpy as np

from dvfl_tf.core.errors import ModelFileError, UserError, first_line
from dvfl_tf.core.model_files import check_keras_file


class NonFiniteModelError(UserError, ValueError):
    """The model's weights hold NaN or inf (a diverged run)."""


def weights_are_finite(model):
    """True when every floating-point weight of `model` is finite (no NaN, no inf)."""
    for weight in model.weights:
        values = np.asarray(keras.ops.convert_to_numpy(weight.value))
        if np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
            return False
    return True


def model_num_classes(model):
    """Number of output classes of a classifier (its `num_classes` or its output width)."""
    num_classes = getattr(model, "num_classes", None)
    if num_classes is None:
        num_classes = model.outputs[0].shape[-1]
    return int(num_classes)


def load_keras_model(path):
    """A `.keras` model; a `Distiller` file gives its student. Refuses damaged files and non-finite weights."""
    path = os.fspath(path)
    check_keras_file(path)
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as error:  # Keras raises ValueError, TypeError, OSError (h5py) ... for damaged files
        raise ModelFileError(f"{path}: cannot load the .keras model ({first_line(error)})") from error
    model = getattr(model, "student", model)
    if not weights_are_finite(model):
        raise NonFiniteModelError(
            f"{path}: the model's weights are not finite (NaN or inf), so it cannot be used; it comes from a "
            "diverged run. Use a checkpoint of a finite epoch (dvfl-tf runs keep one in last.keras / best.keras)."
        )
    return model
