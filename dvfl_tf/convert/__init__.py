"""Checkpoints (official Video-FocalNets / DVFL-Net / FocalNet .pth, timm FocalNet .safetensors) -> Keras."""

from dvfl_tf.convert.checkpoint_converter import (  # noqa: F401
    convert_checkpoint,
    model_from_checkpoint,
    official_input_to_raw,
)
from dvfl_tf.convert.checkpoint_io import CheckpointError, read_state_dict  # noqa: F401
from dvfl_tf.convert.checkpoint_loading import CheckpointMismatchError, load_official_checkpoint  # noqa: F401
from dvfl_tf.convert.pretrained import PretrainedStartReport, start_from_pretrained  # noqa: F401
