"""Reading official PyTorch checkpoints into NumPy, without running code from the file."""

import numpy as np


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def _import_torch():
    try:
        import torch
    except ImportError as error:  # torch is an optional extra: only the converter needs it.
        raise CheckpointError(
            "Reading a PyTorch checkpoint needs torch: pip install 'dvfl-tf[convert]' "
            "(torch==2.13.0, the CPU build)."
        ) from error
    return torch


def read_state_dict(path, trust_checkpoint=False):
    """Returns {name: float32 ndarray} from an official `.pth` file.

    Accepts `{"model": state_dict, ...}` (what the official training code
    writes), `{"state_dict": ...}` or a bare state_dict. Loads with
    `weights_only=True`, so no code from the file runs; `trust_checkpoint`
    allows full unpickling for old files that need it (only for files you trust).
    """
    torch = _import_torch()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=not trust_checkpoint)
    except FileNotFoundError:
        raise CheckpointError(f"Checkpoint not found: {path}") from None
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, ... for bad files
        hint = (
            ""
            if trust_checkpoint
            else " If the file needs full unpickling and you trust it, pass --trust-checkpoint."
        )
        raise CheckpointError(f"Cannot read checkpoint {path}: {error}.{hint}") from error
    return state_dict_to_numpy(unwrap_state_dict(checkpoint, path))


def unwrap_state_dict(checkpoint, source="checkpoint"):
    """Unwraps `{"model": ...}` / `{"state_dict": ...}` and strips DistributedDataParallel's `module.`."""
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{source} does not hold a state_dict (got {type(checkpoint).__name__}).")
    for wrapper in ("model", "state_dict", "model_state"):
        if wrapper in checkpoint and isinstance(checkpoint[wrapper], dict):
            checkpoint = checkpoint[wrapper]
            break
    return {key[len("module.") :] if key.startswith("module.") else key: value for key, value in checkpoint.items()}


def state_dict_to_numpy(state_dict):
    arrays = {}
    for key, value in state_dict.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().float().numpy()
        arrays[key] = np.asarray(value, dtype=np.float32)
    return arrays
