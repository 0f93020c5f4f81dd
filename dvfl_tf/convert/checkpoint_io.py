"""Reading checkpoints into NumPy without running code from the file.

Two container formats, told apart by their first bytes (not by the file name):

- PyTorch `.pth` (a zip archive, or a legacy pickle): read with
  `torch.load(weights_only=True)`, so no code from the file runs;
- `.safetensors` (an 8-byte header length, then a JSON header): read with
  `safetensors.numpy`, which needs no torch at all.
"""

import json
import os
import re
import struct
import zipfile

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file

from dvfl_tf.core.errors import UserError, first_line


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


PYTORCH = "PyTorch .pth"
SAFETENSORS = "safetensors"


def check_torch_file(path):
    """Raises `CheckpointError` unless `path` looks like a `torch.save` file (zip with data.pkl, or a pickle).

    Run before torch.load, so that a file that is no checkpoint at all is not
    reported as one that "needs full unpickling".
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            if not any(name.endswith("data.pkl") for name in archive.namelist()):
                raise CheckpointError(f"{path}: not a PyTorch checkpoint (a zip archive without data.pkl)")
    elif head.startswith(b"PK"):
        raise CheckpointError(f"{path}: damaged PyTorch checkpoint (the zip archive is truncated or corrupt)")
    return path


def _import_torch():
    try:
        import torch  # noqa: PLC0415 (an optional extra, only to read .pth files)
    except ImportError as error:  # torch is an optional extra: only .pth files need it.
        raise CheckpointError(
            "Reading a PyTorch checkpoint needs torch: pip install 'dvfl-tf[convert]' (torch==2.13.0, the CPU build)."
        ) from error
    return torch


def detect_container(path):
    """`PYTORCH` or `SAFETENSORS`, from the file's first bytes; raises `CheckpointError` otherwise."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read the checkpoint ({error.strerror})") from None
    if head.startswith(b"PK") or head[:1] == b"\x80":  # torch.save's zip, or a legacy pickle
        return PYTORCH
    if len(head) >= 9:
        (header_length,) = struct.unpack("<Q", head[:8])
        if 0 < header_length < 100_000_000 and head[8:9] == b"{":
            return SAFETENSORS
    raise CheckpointError(
        f"{path}: not a checkpoint (neither a PyTorch .pth, i.e. a torch zip archive or a pickle, "
        "nor a .safetensors file)"
    )


def read_state_dict(path, trust_checkpoint=False):
    """Returns {name: float32 ndarray} from a `.pth` or `.safetensors` checkpoint (names as stored)."""
    return read_checkpoint(path, trust_checkpoint)[0]


def read_checkpoint(path, trust_checkpoint=False):
    """Returns ({name: float32 ndarray}, container) for a `.pth` or `.safetensors` file.

    A `.pth` may hold `{"model": state_dict, ...}` (what the official training
    code writes), `{"state_dict": ...}` or a bare state_dict; DistributedDataParallel's
    `module.` prefix is stripped. `trust_checkpoint` allows full unpickling of
    old `.pth` files that need it (only for files you trust).
    """
    container = detect_container(path)
    if container == SAFETENSORS:
        return _read_safetensors(path), container
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
                advice_flag="--trust-checkpoint",
                advice_command="convert-checkpoint",
            ) from error
        raise CheckpointError(f"{path}: damaged PyTorch checkpoint ({first_line(error)})") from error
    return state_dict_to_numpy(unwrap_state_dict(checkpoint, path)), container


def _read_safetensors(path):
    try:
        state_dict = load_file(path)
    except (SafetensorError, json.JSONDecodeError, ValueError) as error:
        raise CheckpointError(f"{path}: damaged .safetensors checkpoint ({first_line(error)})") from None
    return state_dict_to_numpy(unwrap_state_dict(state_dict, path))


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
