"""`load_classifier`: a Keras classifier from a `.keras` file or from an official checkpoint converted in memory."""

import os

from dvfl_tf.convert import model_from_checkpoint
from dvfl_tf.core.errors import UserError
from dvfl_tf.models.model_loading import load_keras_model

CHECKPOINT_SUFFIXES = (".pth", ".pt")
# The command-line names of `load_classifier`'s architecture arguments.
_FLAGS = {"preset": "--preset", "official_config": "--config", "num_classes": "--num-classes"}


def is_checkpoint(path):
    """True for an official PyTorch checkpoint file name (`.pth`, `.pt`)."""
    return os.fspath(path).endswith(CHECKPOINT_SUFFIXES)


def load_classifier(path, preset=None, official_config=None, num_classes=None, trust_checkpoint=False, **sizes):
    """A Keras classifier from a `.keras` file, or from an official checkpoint (`.pth`) converted in memory.

    A checkpoint needs its architecture: `preset` or `official_config` (the
    official constructor arguments, dict or JSON file); `num_classes` and
    `sizes` (`num_frames`, `image_size`) as `convert_checkpoint`. A `.keras`
    file carries its own, so those must be left unset.
    """
    path = os.fspath(path)
    architecture = {"preset": preset, "official_config": official_config, "num_classes": num_classes}
    if is_checkpoint(path):
        if (preset is None) == (official_config is None):
            raise UserError(
                f"{path} is an official checkpoint: give its architecture with exactly one of --preset or --config"
            )
        if not os.path.isfile(path):
            raise UserError(f"{path}: file not found")
        sizes = {k: v for k, v in sizes.items() if v is not None}
        return model_from_checkpoint(path, trust_checkpoint=trust_checkpoint, **architecture, **sizes)
    if path.endswith(".keras"):
        given = [_FLAGS[k] for k, v in architecture.items() if v is not None]
        if given:
            raise UserError(f"{', '.join(given)}: for an official .pth model only; {path} carries its architecture")
        return load_keras_model(path)
    raise UserError(f"The model must be a .keras file or an official checkpoint (.pth). Received: {path}")
