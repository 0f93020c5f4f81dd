"""Pure mapping of timm's FocalNet names back to the official microsoft/FocalNet names.

timm (`timm/models/focalnet.py`) renames the official keys in its own
`checkpoint_filter_fn`; this is that function's inverse, so a timm
`model.safetensors` (how ImageNet FocalNets are distributed on the model hub)
goes through the same official -> Keras mapping as an official `.pth`:

- `stem.*`                       -> `patch_embed.*`
- `layers.{i}.downsample.*`      -> `layers.{i-1}.downsample.*` (timm downsamples at the start of a stage,
                                    the official code at the end of the previous one)
- `ls{n}.gamma`                  -> `gamma_{n}` (layer scale)
- `norm{n}_post`                 -> `norm{n}` (post-norm blocks)
- `modulation.norm.`             -> `modulation.ln.` (post-norm in the modulation)
- `head.fc.*`                    -> `head.*`

and timm's 1x1 convolutions over channels-first maps (`modulation.f`, `modulation.proj`,
`mlp.fc1`, `mlp.fc2`: (out, in, 1, 1)) become the official Linear weights (out, in).
"""

import re

_TIMM_MARKERS = ("stem.", "head.fc.")
# Official Linear layers that timm runs as 1x1 convolutions.
_TIMM_CONV_LINEARS = re.compile(r"\.(modulation\.f|modulation\.proj|mlp\.fc1|mlp\.fc2)\.weight$")


def is_timm_focalnet(state_dict):
    """True if the names are timm's FocalNet naming (`stem.*` or `head.fc.*`)."""
    return any(key.startswith(_TIMM_MARKERS) for key in state_dict)


def timm_to_official_key(key):
    key = re.sub(r"^stem\.", "patch_embed.", key)
    key = re.sub(r"^layers\.(\d+)\.downsample\.", lambda m: f"layers.{int(m.group(1)) - 1}.downsample.", key)
    key = re.sub(r"\.ls(\d)\.gamma$", r".gamma_\1", key)
    key = re.sub(r"\.norm(\d)_post\.", r".norm\1.", key)
    key = key.replace(".modulation.norm.", ".modulation.ln.")
    key = re.sub(r"^head\.fc\.", "head.", key)
    return key


def timm_to_official(state_dict):
    """{timm key: array} -> {official key: array in the official layout}."""
    official = {}
    for key, value in state_dict.items():
        if _TIMM_CONV_LINEARS.search(key) and value.ndim == 4 and value.shape[2:] == (1, 1):
            value = value[:, :, 0, 0]
        official[timm_to_official_key(key)] = value
    return official
