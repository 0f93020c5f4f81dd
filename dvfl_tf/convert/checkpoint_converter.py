"""`convert-checkpoint`: official PyTorch checkpoint -> verified `.keras` file."""

import json

import keras
import numpy as np

from dvfl_tf.convert.checkpoint_io import CheckpointError
from dvfl_tf.convert.checkpoint_loading import load_official_checkpoint
from dvfl_tf.convert.official_config import build_from_official_config
from dvfl_tf.convert.pretrained import read_official_state_dict, start_from_pretrained
from dvfl_tf.core.io_safety import atomic_path
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import IMAGENET_MEAN_RGB, IMAGENET_STD_RGB

# Tolerance for the converter's own checks: float32 rounding of a different
# operation order, as in the parity fixtures.
VERIFY_ATOL = 1e-4


def official_input_to_raw(clip_btchw):
    """Official model input (batch, frames, C, H, W), normalised -> ours: raw RGB channels-last."""
    clip = np.transpose(np.asarray(clip_btchw, dtype=np.float32), (0, 1, 3, 4, 2))
    return clip * np.asarray(IMAGENET_STD_RGB, np.float32) + np.asarray(IMAGENET_MEAN_RGB, np.float32)


def _build_model(state_dict, preset, official_config, num_classes, overrides):
    if (preset is None) == (official_config is None):
        raise CheckpointError("Give exactly one of a preset or an official config.")
    if official_config is not None:
        if isinstance(official_config, str):
            with open(official_config) as f:
                official_config = json.load(f)
        official_config = {**official_config, **{k: v for k, v in overrides.items() if v is not None}}
        return build_from_official_config(official_config, num_classes=num_classes)
    if num_classes is None:
        if "head.weight" not in state_dict:
            raise CheckpointError("The checkpoint has no head.weight: pass --num-classes.")
        num_classes = int(state_dict["head.weight"].shape[0])
    return build_model(preset, num_classes=num_classes, **overrides)


def _model_for_state_dict(state_dict, preset, official_config, num_classes, num_frames, image_size, backbone_overrides):
    if official_config is not None:
        if backbone_overrides:
            raise CheckpointError("Backbone overrides apply to a preset; edit the --config JSON instead.")
        overrides = {"num_frames": num_frames, "img_size": image_size}
    else:
        overrides = {**(backbone_overrides or {}), "num_frames": num_frames, "image_size": image_size}
    try:
        return _build_model(state_dict, preset, official_config, num_classes, overrides)
    except (TypeError, ValueError) as error:  # unknown or invalid architecture arguments
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"Cannot build the model: {error}") from None


def model_from_checkpoint(
    checkpoint,
    preset=None,
    official_config=None,
    num_classes=None,
    trust_checkpoint=False,
    num_frames=None,
    image_size=None,
    backbone_overrides=None,
):
    """The Keras classifier of a trained official checkpoint (`.pth`, or timm `.safetensors`), in memory.

    The architecture comes from `preset` or `official_config` (the official
    `VideoFocalNet(**kwargs)` arguments, a dict or a JSON file), as for
    `convert_checkpoint`; the load is strict (every checkpoint tensor used,
    every weight set, `CheckpointMismatchError` naming each misfit). Nothing
    is written.
    """
    state_dict, _ = read_official_state_dict(checkpoint, trust_checkpoint)
    model = _model_for_state_dict(
        state_dict, preset, official_config, num_classes, num_frames, image_size, backbone_overrides
    )
    load_official_checkpoint(model, state_dict)
    return model


def convert_checkpoint(
    checkpoint,
    output,
    preset=None,
    official_config=None,
    num_classes=None,
    pretrained=False,
    trust_checkpoint=False,
    verify_input=None,
    verify_logits=None,
    num_frames=None,
    image_size=None,
    backbone_overrides=None,
):
    """Converts a checkpoint (official `.pth` or timm `.safetensors`) to `output` (.keras) and verifies it.

    Without `pretrained` the conversion is strict (every key used, every weight
    set). With `pretrained` it is the official fine-tuning start
    (`start_from_pretrained`: head reset when its shape differs, stem inflated,
    deeper blocks dropped, missing weights left at initialisation).

    Verification: the saved file is reloaded and must give the in-memory
    model's logits on a clip (max-abs <= 1e-4) -- a check of the file, not of
    the conversion; with `verify_input`/`verify_logits` (official layout, as the
    parity fixtures) the model must also reproduce the official logits.
    Returns a report dict.
    """
    if not str(output).endswith(".keras"):
        raise CheckpointError(f"The output must be a .keras file. Received: output={output}")
    state_dict, checkpoint_format = read_official_state_dict(checkpoint, trust_checkpoint)
    model = _model_for_state_dict(
        state_dict, preset, official_config, num_classes, num_frames, image_size, backbone_overrides
    )
    if pretrained:
        start = start_from_pretrained(model, state_dict, verbose=False)
        start.checkpoint, start.checkpoint_format = str(checkpoint), checkpoint_format
        report = {"pretrained_start": start, "loaded": start.loaded}
    else:
        report = load_official_checkpoint(model, state_dict)
    report["checkpoint_format"] = checkpoint_format
    _save_and_verify(model, output, report, verify_input, verify_logits)
    return report


def _save_and_verify(model, output, report, verify_input, verify_logits):
    """Save `model` to `output`, check the reloaded file gives its logits, and the reference logits if given."""
    if verify_input is not None:
        clip = official_input_to_raw(np.load(verify_input) if isinstance(verify_input, str) else verify_input)
    else:
        height, width = model.frame_shape
        clip = np.random.default_rng(0).uniform(0, 255, (1, model.num_frames, height, width, 3)).astype("float32")
    logits = keras.ops.convert_to_numpy(model(clip, training=False))

    with atomic_path(output) as temporary:  # a kill mid-save leaves any previous file whole
        model.save(temporary)
    reloaded = keras.saving.load_model(output)
    reload_diff = float(np.max(np.abs(keras.ops.convert_to_numpy(reloaded(clip, training=False)) - logits)))
    report.update({"output": str(output), "num_classes": model.num_classes, "max_abs_diff_reload": reload_diff})
    if reload_diff > VERIFY_ATOL:
        raise CheckpointError(f"The saved model differs from the converted one by {reload_diff} (max-abs logits)")
    if verify_logits is not None:
        expected = np.load(verify_logits) if isinstance(verify_logits, str) else np.asarray(verify_logits)
        reference_diff = float(np.max(np.abs(logits - expected)))
        report["max_abs_diff_reference"] = reference_diff
        if reference_diff > VERIFY_ATOL:
            raise CheckpointError(
                f"Converted model differs from the reference logits by {reference_diff} "
                f"(max-abs, tolerance {VERIFY_ATOL})"
            )
