"""Building and loading the models of a run: presets, `.keras` files, official checkpoints."""

import os

from dvfl_tf.core.errors import UserError
from dvfl_tf.models.model_loading import load_keras_model, model_num_classes
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, unknown_preset_message


class ModelSpecError(UserError, ValueError):
    pass


def _is_checkpoint(path):
    return str(path).endswith((".pth", ".pt", ".bin", ".ckpt", ".safetensors"))


def load_official_checkpoint_into(model, checkpoint_path, require_complete=False):
    """Starts `model` from a pretrained checkpoint (official `.pth` or timm `.safetensors`).

    The official fine-tuning start (`dvfl_tf.convert.start_from_pretrained`);
    `require_complete` refuses a checkpoint that leaves any weight fresh (a teacher).
    Returns the `PretrainedStartReport`.
    """
    try:
        from dvfl_tf.convert import start_from_pretrained  # noqa: PLC0415 (guarded: an install without the checkpoint readers still trains)
    except ImportError as error:
        raise ModelSpecError(
            "Loading official PyTorch checkpoints needs dvfl_tf.convert, which is not available "
            f"in this installation ({error}). Convert the checkpoint with `dvfl-tf convert-checkpoint` "
            "and pass the resulting .keras file instead."
        ) from error
    if not os.path.isfile(checkpoint_path):
        raise ModelSpecError(f"Checkpoint not found: {checkpoint_path}")
    return start_from_pretrained(model, checkpoint_path, require_complete=require_complete)


def build_or_load(
    spec,
    num_classes,
    num_frames=None,
    image_size=None,
    drop_path_rate=None,
    overrides=None,
    init_checkpoint=None,
    class_names=None,
):
    """A classifier from a preset name or a `.keras` file, checked against `num_classes`.

    A preset gets fresh weights (then the pretrained start from `init_checkpoint`,
    if given: see `dvfl_tf.convert.start_from_pretrained`); `num_frames`, `image_size`, `drop_path_rate` and
    `overrides` (backbone arguments) apply to presets only. `class_names` (the dataset's)
    are stored in the model, so every file saved from it carries them.
    """
    if str(spec).endswith(".keras"):
        model = load_keras_model(spec)
        wants_causal = bool((overrides or {}).get("causal"))
        if wants_causal and not getattr(getattr(model, "backbone", None), "causal", False):
            raise ModelSpecError(
                f"{spec} is not causal and a .keras model is not rebuilt: give a preset name to build a "
                "causal model (--causal applies to presets)."
            )
    elif spec in PRESETS:
        overrides = dict(overrides or {})
        # The same three may come in `overrides` (--backbone-overrides '{"drop_path_rate": 0}'): the explicit
        # argument wins where both are given.
        explicit = {"num_frames": num_frames, "image_size": image_size, "drop_path_rate": drop_path_rate}
        for name, value in explicit.items():
            from_overrides = overrides.pop(name, None)
            explicit[name] = from_overrides if value is None else value
        model = build_model(spec, num_classes=num_classes, **explicit, **overrides)
    else:
        raise ModelSpecError(unknown_preset_message(spec, alternative="a .keras file"))
    if init_checkpoint:
        load_official_checkpoint_into(model, init_checkpoint)
    got = model_num_classes(model)
    if got != num_classes:
        raise ModelSpecError(
            f"{spec} predicts {got} classes but the dataset has {num_classes}. "
            "Fine-tune a model for this dataset first (dvfl-tf train)."
        )
    if class_names is not None and hasattr(model, "set_class_names"):
        model.set_class_names(class_names)  # saved with the model: predict and export show them
    return model


def load_teacher(spec, num_classes, teacher_preset="video_focalnet_base", num_frames=None, image_size=None):
    """The teacher: a `.keras` file, or a fine-tuned checkpoint loaded whole into `teacher_preset`."""
    if _is_checkpoint(spec):
        model = build_model(teacher_preset, num_classes=num_classes, num_frames=num_frames, image_size=image_size)
        load_official_checkpoint_into(model, spec, require_complete=True)
        return model
    if not str(spec).endswith(".keras"):
        raise ModelSpecError(f"The teacher is a .keras file or a checkpoint (.pth, .safetensors). Received: {spec!r}")
    return build_or_load(spec, num_classes)
