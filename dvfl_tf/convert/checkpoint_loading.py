"""Loading an official state_dict into a Keras Video-FocalNet, strictly."""

import numpy as np

from dvfl_tf.convert.checkpoint_io import CheckpointError, read_state_dict
from dvfl_tf.convert.official_mapping import checkpoint_filter_fn

MISMATCHES = "shape mismatches: "


class CheckpointMismatchError(CheckpointError):
    """The checkpoint and the model do not fit; the message names every offending tensor."""


def _model_weights(model):
    weights = {}
    for variable in model.weights:
        if variable.path in weights:
            raise RuntimeError(f"Duplicate weight path in model: {variable.path}")
        weights[variable.path] = variable
    return weights


def match_checkpoint(model, state_dict, ignore_keys=()):
    """Pairs model weights with checkpoint tensors; raises naming every mismatch.

    Returns (assignments {keras path: array}, skipped checkpoint keys). A start
    from a pretrained checkpoint of another depth or head is `pretrained.start_from_pretrained`.
    """
    weights = _model_weights(model)
    mapped = checkpoint_filter_fn(state_dict)
    assignments, skipped, unused, mismatched = {}, [], [], []
    named = set()  # model weights the checkpoint names, with the wrong shape
    for path, (key, value) in sorted(mapped.items()):
        if key in ignore_keys:
            skipped.append(key)
            continue
        variable = weights.get(path)
        if variable is None:
            unused.append(key)
        elif tuple(variable.shape) != value.shape:
            named.add(path)
            mismatched.append(
                f"{key} -> {path}: checkpoint {tuple(value.shape)} (Keras layout) vs model {tuple(variable.shape)}"
            )
        else:
            assignments[path] = value
    unset = sorted(path for path in weights if path not in assignments and path not in named)
    raise_if_misfit(
        ("checkpoint keys not used by the model: ", unused),
        ("model weights not set by the checkpoint: ", unset),
        (MISMATCHES, mismatched),
    )
    return assignments, skipped


def raise_if_misfit(*problems):
    """Raises `CheckpointMismatchError` listing every (description, names) pair whose names are not empty.

    Shape mismatch lines hold commas themselves, so they are joined with "; ".
    """
    lines = [
        description + ("; " if description == MISMATCHES else ", ").join(names)
        for description, names in problems
        if names
    ]
    if lines:
        raise CheckpointMismatchError("Checkpoint does not fit the model.\n- " + "\n- ".join(lines))


def load_official_checkpoint(model, checkpoint, trust_checkpoint=False):
    """Loads an official checkpoint (path or {key: array}) into `model`, strictly.

    Every checkpoint key must be used and every model weight set, shapes must
    agree; otherwise `CheckpointMismatchError` names them all and the model is
    left untouched. Returns a report {"loaded": [...], "skipped": [...]}.
    """
    state_dict = read_state_dict(checkpoint, trust_checkpoint) if isinstance(checkpoint, str) else checkpoint
    assignments, skipped = match_checkpoint(model, state_dict)
    weights = _model_weights(model)
    for path, value in assignments.items():
        weights[path].assign(value)
    # Read back: the assignment itself is checked, not assumed.
    worst = max(float(np.max(np.abs(weights[p].numpy() - v))) if v.size else 0.0 for p, v in assignments.items())
    if worst != 0.0:
        raise CheckpointError(f"Weights read back differ from the checkpoint by {worst}")
    return {"loaded": sorted(assignments), "skipped": skipped}
