"""Building and loading the models of a run: presets, `.keras` files, official checkpoints."""

import os

import keras

from dvfl_tf.training.distiller import model_num_classes


class ModelSpecError(ValueError):
    pass


def _is_checkpoint(path):
    return str(path).endswith((".pth", ".pt", ".bin", ".ckpt"))


def load_keras_model(path):
    """A `.keras` model; a `Distiller` file gives its student."""
    # Imported for their serializable classes.
    import dvfl_tf.models.video_focalnet.video_focalnet_classifier  # noqa: F401
    import dvfl_tf.training.distiller  # noqa: F401
    import dvfl_tf.training.recipe  # noqa: F401

    if not os.path.isfile(path):
        raise ModelSpecError(f"Model file not found: {path}")
    model = keras.saving.load_model(path, compile=False)
    model = getattr(model, "student", model)
    from dvfl_tf.training.callbacks import weights_are_finite

    if not weights_are_finite(model):
        raise ModelSpecError(
            f"{path}: the model's weights are not finite (NaN or inf), so it cannot be used; it comes from a "
            "diverged run. Use a checkpoint of a finite epoch (dvfl-tf runs keep one in last.keras / best.keras)."
        )
    return model


def load_official_checkpoint_into(model, checkpoint_path):
    """Loads an official PyTorch checkpoint into `model` with `dvfl_tf.convert` (strict)."""
    try:
        from dvfl_tf.convert import load_official_checkpoint
    except ImportError as error:
        raise ModelSpecError(
            "Loading official PyTorch checkpoints needs dvfl_tf.convert, which is not available "
            f"in this installation ({error}). Convert the checkpoint with `dvfl-tf convert-checkpoint` "
            "and pass the resulting .keras file instead."
        ) from error
    if not os.path.isfile(checkpoint_path):
        raise ModelSpecError(f"Checkpoint not found: {checkpoint_path}")
    load_official_checkpoint(model, checkpoint_path)
    return model


def build_or_load(spec, num_classes, num_frames=None, image_size=None, drop_path_rate=None, overrides=None,
                  init_checkpoint=None):
    """A classifier from a preset name or a `.keras` file, checked against `num_classes`.

    A preset gets fresh weights (then `init_checkpoint`, an official checkpoint,
    if given); `num_frames`, `image_size`, `drop_path_rate` and `overrides`
    (backbone arguments) apply to presets only.
    """
    from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, build_model

    if str(spec).endswith(".keras"):
        model = load_keras_model(spec)
    elif spec in PRESETS:
        model = build_model(
            spec,
            num_classes=num_classes,
            num_frames=num_frames,
            image_size=image_size,
            drop_path_rate=drop_path_rate,
            **(overrides or {}),
        )
    else:
        raise ModelSpecError(
            f"A model is a preset ({', '.join(sorted(PRESETS))}) or a .keras file. Received: {spec!r}"
        )
    if init_checkpoint:
        load_official_checkpoint_into(model, init_checkpoint)
    got = model_num_classes(model)
    if got != num_classes:
        raise ModelSpecError(
            f"{spec} predicts {got} classes but the dataset has {num_classes}. "
            "Fine-tune a model for this dataset first (dvfl-tf train)."
        )
    return model


def load_teacher(spec, num_classes, teacher_preset="video_focalnet_base", num_frames=None, image_size=None):
    """The teacher: a `.keras` file, or an official checkpoint loaded into `teacher_preset`."""
    if _is_checkpoint(spec):
        from dvfl_tf.models.video_focalnet.video_focalnet_presets import build_model

        model = build_model(teacher_preset, num_classes=num_classes, num_frames=num_frames, image_size=image_size)
        load_official_checkpoint_into(model, spec)
        return model
    if not str(spec).endswith(".keras"):
        raise ModelSpecError(f"The teacher is a .keras file or an official checkpoint (.pth). Received: {spec!r}")
    return build_or_load(spec, num_classes)
