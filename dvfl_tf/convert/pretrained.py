"""Starting a model from a pretrained checkpoint, as the official `TRAIN.PRETRAINED_PATH` code does.

The official Video-FocalNets / DVFL-Net `main.py` (see `../shared/official_flows/README.md`):

1. the checkpoint's head is replaced by a fresh one of the model's shape (we
   keep it when the shapes already agree, e.g. a fine-tuned teacher);
2. for a tubelet size t > 1 the 2-D image stem (O, 3, 4, 4) is inflated to
   (O, 3, t, 4, 4): repeated t times over the new axis and divided by t;
3. `load_state_dict(strict=False)`: checkpoint blocks beyond the model's depth
   are dropped (each stage keeps its first blocks) and model weights the
   checkpoint lacks (the temporal branch, for an image FocalNet) keep their
   initialisation.

Those rules are data here (`plan_pretrained_start` is pure: names and shapes
in, a plan out). Anything else that does not fit -- a shape mismatch outside the
head and stem, a key of another model family, a missing spatial weight, focal
level 3 into level 2 -- is an error naming every offending tensor, and the
model is not touched.
"""

import dataclasses
import re

import numpy as np

from dvfl_tf.convert.checkpoint_io import CheckpointError, read_checkpoint
from dvfl_tf.convert.checkpoint_loading import MISMATCHES, CheckpointMismatchError, raise_if_misfit
from dvfl_tf.convert.official_mapping import checkpoint_filter_fn
from dvfl_tf.convert.timm_mapping import is_timm_focalnet, timm_to_official

_BLOCK_KEY = re.compile(r"^layers\.(\d+)\.blocks\.(\d+)\.")
_BLOCK_PATH = re.compile(r"^layers_(\d+)_blocks_(\d+)/")
_STEM_KEY = "patch_embed.proj.weight"
_STEM_PATH = "patch_embed/proj/kernel"
_HEAD_KEYS = ("head.weight", "head.bias")


@dataclasses.dataclass
class PretrainedStartReport:
    """What a pretrained start did. Checkpoint keys use the official names, model weights Keras paths."""

    checkpoint: str
    checkpoint_format: str  # e.g. "PyTorch .pth, official naming"
    loaded: list  # checkpoint keys whose tensors are now in the model
    dropped: list  # checkpoint keys of blocks beyond the model's depth
    left_at_init: list  # model weight paths the checkpoint does not provide (head included when reset)
    head_reset: bool = False  # checkpoint head had another shape: the model's fresh head is kept
    checkpoint_classes: int = None
    inflated_stem: int = 1  # tubelet size the 2-D stem was inflated to (1: not inflated)

    @property
    def complete(self):
        """True when every model weight came from the checkpoint and nothing was dropped."""
        return not (self.dropped or self.left_at_init)

    def summary(self):
        """A short, grouped report (a few lines)."""
        lines = [
            f"Pretrained start from {self.checkpoint} ({self.checkpoint_format}): loaded {len(self.loaded)} tensors."
        ]
        if self.inflated_stem > 1:
            t = self.inflated_stem
            lines.append(f"  inflated: image stem over the tubelet (repeated {t} times, divided by {t})")
        if self.dropped:
            lines.append(f"  dropped (beyond the model's depth): {_group_blocks(self.dropped)}")
        if self.head_reset:
            lines.append(f"  head re-initialised: checkpoint has {self.checkpoint_classes} classes")
        if self.left_at_init:
            lines.append(f"  left at initialisation: {_group_left(self.left_at_init)}")
        return "\n".join(lines)

    def to_dict(self):
        return dataclasses.asdict(self)


def _group_blocks(keys):
    """ "stage 0 block 1; stage 2 blocks 2-3" from checkpoint keys (stages and blocks counted from 0)."""
    stages = {}
    other = []
    for key in keys:
        match = _BLOCK_KEY.match(key)
        if match:
            stages.setdefault(int(match.group(1)), set()).add(int(match.group(2)))
        else:
            other.append(key)
    parts = []
    for stage, blocks in sorted(stages.items()):
        blocks = sorted(blocks)
        if len(blocks) == 1:
            parts.append(f"stage {stage} block {blocks[0]}")
        elif blocks == list(range(blocks[0], blocks[-1] + 1)):
            parts.append(f"stage {stage} blocks {blocks[0]}-{blocks[-1]}")
        else:
            parts.append(f"stage {stage} blocks {', '.join(map(str, blocks))}")
    return "; ".join(parts + other)


def _group_left(paths):
    temporal = [p for p in paths if "temporal" in p]
    blocks_with_temporal = {m.group(0) for m in map(_BLOCK_PATH.match, temporal) if m}
    head = [p for p in paths if p.startswith("head/")]
    rest = [p for p in paths if p not in temporal and p not in head]
    parts = []
    if temporal:
        parts.append(f"temporal branch of {len(blocks_with_temporal)} blocks ({len(temporal)} tensors)")
    if head:
        parts.append("head")
    return ", ".join(parts + rest)


def _model_depths(weight_paths):
    depths = {}
    for path in weight_paths:
        match = _BLOCK_PATH.match(path)
        if match:
            stage, block = int(match.group(1)), int(match.group(2))
            depths[stage] = max(depths.get(stage, 0), block + 1)
    return depths


def inflate_stem(state_dict, tubelet_size):
    """The official inflation of a 2-D stem (O, 3, kh, kw) to (O, 3, t, kh, kw): repeat t times, divide by t."""
    weight = state_dict[_STEM_KEY]
    inflated = np.repeat(weight[:, :, None], tubelet_size, axis=2) / np.float32(tubelet_size)
    return {**state_dict, _STEM_KEY: inflated.astype(np.float32)}


def _fit_head_and_stem(model_shapes, state_dict, fields):
    """The official start's changes: a head of other classes dropped, a 2-D stem inflated over the tubelet.

    Records them in `fields`; returns the changed state_dict.
    """
    if "head.weight" in state_dict:
        fields["checkpoint_classes"] = int(state_dict["head.weight"].shape[0])
        head_shapes = [tuple(state_dict[k].T.shape) for k in _HEAD_KEYS if k in state_dict]
        if head_shapes != [model_shapes.get("head/kernel"), model_shapes.get("head/bias")][: len(head_shapes)]:
            # The official code always replaces the head; a head that already fits (a fine-tuned
            # checkpoint of the same classes) is kept, so a teacher checkpoint loads whole.
            for key in _HEAD_KEYS:
                state_dict.pop(key, None)
            fields["head_reset"] = True

    stem = state_dict.get(_STEM_KEY)
    model_stem = model_shapes.get(_STEM_PATH)
    if stem is not None and stem.ndim == 4 and model_stem is not None and model_stem[2] != stem.shape[1]:
        tubelet, remainder = divmod(model_stem[2], stem.shape[1])
        if remainder == 0 and tubelet > 1:
            state_dict = inflate_stem(state_dict, tubelet)
            fields["inflated_stem"] = tubelet
    return state_dict


def _match_weights(model_shapes, state_dict):
    """Each checkpoint tensor to its model weight: (assignments, loaded, dropped, unused, mismatched)."""
    depths = _model_depths(model_shapes)
    assignments, loaded, dropped, unused, mismatched = {}, [], [], [], []
    for path, (key, value) in sorted(checkpoint_filter_fn(state_dict).items()):
        shape = model_shapes.get(path)
        if shape is None:
            match = _BLOCK_KEY.match(key)
            if match and int(match.group(1)) in depths and int(match.group(2)) >= depths[int(match.group(1))]:
                dropped.append(key)
            else:
                unused.append(key)
        elif shape != value.shape:
            mismatched.append(f"{key} -> {path}: checkpoint {value.shape} (Keras layout) vs model {shape}")
        else:
            assignments[path] = value
            loaded.append(key)
    return assignments, loaded, dropped, unused, mismatched


def plan_pretrained_start(model_shapes, state_dict):
    """Pure: matches an official-named state_dict with a model's weights ({Keras path: shape}).

    Returns (assignments {Keras path: array}, report fields). Raises
    `CheckpointMismatchError` naming every tensor that does not fit.
    """
    model_shapes = {path: tuple(shape) for path, shape in model_shapes.items()}
    state_dict = dict(state_dict)
    fields = {"head_reset": False, "checkpoint_classes": None, "inflated_stem": 1}

    state_dict = _fit_head_and_stem(model_shapes, state_dict, fields)
    image_checkpoint = not any("temporal" in key for key in state_dict)
    assignments, loaded, dropped, unused, mismatched = _match_weights(model_shapes, state_dict)
    named = {line.split(" -> ")[1].split(":")[0] for line in mismatched}
    left = sorted(path for path in model_shapes if path not in assignments and path not in named)
    allowed = [
        path
        for path in left
        if (fields["head_reset"] and path.startswith("head/")) or (image_checkpoint and "temporal" in path)
    ]
    unset = [path for path in left if path not in allowed]
    raise_if_misfit(
        (
            "no checkpoint tensor matches a model weight: not a (Video-)FocalNet checkpoint of this family "
            "(first keys: ",
            [] if assignments else [", ".join(sorted(state_dict)[:5]) + ")"],
        ),
        ("checkpoint keys the model has no place for: ", unused),
        ("model weights the checkpoint should provide but does not: ", unset),
        (MISMATCHES, mismatched),
    )
    fields.update(loaded=sorted(loaded), dropped=sorted(dropped), left_at_init=allowed)
    return assignments, fields


def read_official_state_dict(checkpoint, trust_checkpoint=False):
    """({official key: array}, format description) from a path: official `.pth` or timm `.safetensors`."""
    state_dict, container = read_checkpoint(checkpoint, trust_checkpoint)
    if is_timm_focalnet(state_dict):
        state_dict, naming = timm_to_official(state_dict), f"{container}, timm FocalNet naming"
    else:
        naming = f"{container}, official naming"
    if not any(".modulation." in key for key in state_dict):
        # Another architecture (a ResNet, a ViT...): one line, not a list of every tensor that does not fit.
        sample = ", ".join(sorted(state_dict)[:3])
        raise CheckpointError(
            f"{checkpoint}: not a Video-FocalNet or FocalNet checkpoint (none of its {len(state_dict)} tensors is a "
            f"focal modulation, layers.N.blocks.M.modulation.*; it holds {sample}, ...)"
        )
    return state_dict, naming


def start_from_pretrained(model, checkpoint, trust_checkpoint=False, require_complete=False, verbose=True):
    """Loads a pretrained checkpoint into `model` as the official fine-tuning start does.

    Args:
        model: a `VideoFocalNetClassifier` (any Keras model with the same weight paths).
        checkpoint: path of an official `.pth` (`{"model": ...}`, bare, `module.`
            prefixes) or a timm FocalNet `.safetensors`; or an {official key: array} dict.
        require_complete: refuse (naming them) any dropped block, fresh head or
            weight left at initialisation -- for a teacher, which must load whole.
        verbose: print the report's short summary.

    Returns a `PretrainedStartReport`. The model is untouched when an error is raised.
    """
    if isinstance(checkpoint, dict):
        state_dict, checkpoint_format, source = checkpoint, "state_dict in memory, official naming", "memory"
    else:
        state_dict, checkpoint_format = read_official_state_dict(checkpoint, trust_checkpoint)
        source = str(checkpoint)
    variables = {variable.path: variable for variable in model.weights}
    assignments, fields = plan_pretrained_start({p: v.shape for p, v in variables.items()}, state_dict)
    report = PretrainedStartReport(checkpoint=source, checkpoint_format=checkpoint_format, **fields)
    if require_complete and not report.complete:
        raise CheckpointMismatchError(
            f"{source} does not provide the whole model (dropped: {_group_blocks(report.dropped) or 'nothing'}; "
            f"left at initialisation: {_group_left(report.left_at_init) or 'nothing'}). A teacher must be a "
            "fine-tuned checkpoint of this architecture and class count: fine-tune it first with "
            "`dvfl-tf train --init-checkpoint`."
        )
    for path, value in assignments.items():
        variables[path].assign(value)
    worst = max(float(np.max(np.abs(variables[p].numpy() - v))) if v.size else 0.0 for p, v in assignments.items())
    if worst != 0.0:  # the assignment itself is checked, not assumed
        raise CheckpointError(f"Weights read back differ from the checkpoint by {worst}")
    if verbose:
        print(report.summary())
    return report
