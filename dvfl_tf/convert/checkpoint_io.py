"""Reading official PyTorch checkpoints into NumPy, without running code from the file."""

import json
import os
import re
import zipfile

import numpy as np

from dvfl_tf.errors import UserError, first_line


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def check_torch_file(path):
    """Raises `CheckpointError` unless `path` looks like a `torch.save` file (zip with data.pkl, or a pickle).

    Run before torch.load, so that a file that is no checkpoint at all is not
    reported as one that "needs full unpickling".
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    with open(path, "rb") as f:
        head = f.read(4)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if not any(name.endswith("data.pkl") for name in archive.namelist()):
                raise CheckpointError(f"{path}: not a PyTorch checkpoint (a zip archive without data.pkl)")
    elif head.startswith(b"PK"):
        raise CheckpointError(f"{path}: damaged PyTorch checkpoint (the zip archive is truncated or corrupt)")
    elif not head.startswith(b"\x80"):  # legacy torch.save files are pickles (protocol marker 0x80)
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (neither a torch zip archive nor a pickle)")
    return path


def check_safetensors_file(path):
    """Raises `CheckpointError` unless `path` starts like a safetensors file (u64 header size, then a JSON header).

    safetensors' own message for a bad file ("Error while deserializing header: ...") names no file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        header_size = int.from_bytes(head, "little") if len(head) == 8 else 0
        first = f.read(1)
    if len(head) < 8 or first != b"{" or not 2 <= header_size <= size - 8:
        raise CheckpointError(f"{path}: not a safetensors file (no JSON header; truncated or another format)")
    with open(path, "rb") as f:
        f.seek(8)
        header = f.read(header_size)
    try:
        entries = json.loads(header)
    except ValueError:
        raise CheckpointError(f"{path}: damaged safetensors file (the JSON header is cut or corrupt)") from None
    ends = [entry["data_offsets"][1] for key, entry in entries.items() if key != "__metadata__"]
    if ends and max(ends) > size - 8 - header_size:
        raise CheckpointError(f"{path}: damaged safetensors file (truncated: tensors end past the file)")
    return path


def check_checkpoint_file(path):
    """`check_safetensors_file` for `.safetensors`, else `check_torch_file`."""
    if os.fspath(path).endswith(".safetensors"):
        return check_safetensors_file(path)
    return check_torch_file(path)


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
    check_torch_file(path)
    torch = _import_torch()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=not trust_checkpoint)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, ... for bad files
        if not trust_checkpoint and "Weights only load failed" in str(error):
            found = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(
                f"{path}: a checkpoint that needs code execution to load: it holds Python objects{what} "
                "besides tensors.",
                advice_flag="--trust-checkpoint", advice_command="convert-checkpoint",
            ) from error
        raise CheckpointError(f"{path}: damaged PyTorch checkpoint ({first_line(error)})") from error
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
