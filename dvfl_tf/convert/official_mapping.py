"""Pure mapping of official Video-FocalNet / FocalNet state_dict names and layouts to Keras weights.

`checkpoint_filter_fn(state_dict)` returns {keras weight path: array} in
Keras layout; it needs no model, so it can be tested and reused alone (timm's
`checkpoint_filter_fn` pattern). Layout rules:

- Linear (out, in)                 -> Dense kernel (in, out)
- Conv2d 1x1 (out, in, 1, 1) `h`   -> Dense kernel (in, out)
- Conv1d 1 (out, in, 1) `h_temporal` -> Dense kernel (in, out)
- Conv2d (out, in, kh, kw)         -> Conv2D kernel (kh, kw, in, out)
- depthwise Conv2d (C, 1, k, k)    -> DepthwiseConv2D kernel (k, k, C, 1)
- Conv1d (out, in, k) over frames  -> Conv2D kernel (k, 1, in, out)
- Conv3d stem (out, in, t, kh, kw) -> Conv2D kernel (kh, kw, t*in, out), channels (frame, colour)
- LayerNorm weight / bias          -> gamma / beta
"""

import re

import numpy as np

_NORM_MODULE = re.compile(r"^(norm\d*|ln)$")

# Module-path renames, applied in order (torch dotted path -> Keras layer path).
_MODULE_RENAMES = (
    (re.compile(r"layers\.(\d+)\.blocks\.(\d+)\."), r"layers_\1_blocks_\2/"),
    (re.compile(r"layers\.(\d+)\.downsample\."), r"layers_\1_downsample/"),
    (re.compile(r"focal_layers_temporal\.(\d+)\.0\."), r"focal_layers_temporal_\1/"),
    (re.compile(r"focal_layers\.(\d+)\.0\."), r"focal_layers_\1/"),
    (re.compile(r"mlp\.fc(\d)\."), r"mlp_fc\1/"),
)


def keras_path(torch_key):
    """Official state_dict key -> Keras weight path (e.g. `layers_0_blocks_0/modulation/f/kernel`)."""
    path = torch_key
    for pattern, replacement in _MODULE_RENAMES:
        path = pattern.sub(replacement, path)
    parts = path.replace(".", "/").split("/")
    module, param = parts[:-1], parts[-1]
    if not module:  # block-level parameters: gamma_1, gamma_2
        return param
    if param not in ("weight", "bias"):
        return "/".join(parts)
    if module and _NORM_MODULE.match(module[-1]):
        param = "gamma" if param == "weight" else "beta"
    else:
        param = "kernel" if param == "weight" else "bias"
    return "/".join(module + [param])


def keras_value(torch_key, value):
    """Official tensor -> Keras layout (see the module docstring)."""
    if not torch_key.endswith(".weight"):
        return value
    name = torch_key.split(".")
    if value.ndim == 2:  # Linear
        return value.T
    if value.ndim == 3:  # Conv1d: h_temporal (k=1) or a temporal focal layer
        if "h_temporal" in name:
            return value[:, :, 0].T
        return np.transpose(value, (2, 1, 0))[:, None, :, :]
    if value.ndim == 4:
        if name[-2] == "h":  # 1x1 Conv2d used as a dense layer
            return value[:, :, 0, 0].T
        if "focal_layers" in name:  # depthwise
            return np.transpose(value, (2, 3, 0, 1))
        return np.transpose(value, (2, 3, 1, 0))
    if value.ndim == 5:  # Conv3d tubelet stem
        out_channels, in_channels, frames, kh, kw = value.shape
        kernel = np.transpose(value, (3, 4, 2, 1, 0))  # (kh, kw, t, in, out)
        return kernel.reshape(kh, kw, frames * in_channels, out_channels)
    return value


def checkpoint_filter_fn(state_dict):
    """{official key: array} -> {Keras path: (official key, array in Keras layout)}."""
    mapped = {}
    for key, value in state_dict.items():
        if key.endswith("num_batches_tracked"):
            continue
        mapped[keras_path(key)] = (key, np.ascontiguousarray(keras_value(key, value)))
    return mapped
