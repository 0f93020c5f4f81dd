"""Checkpoints (official Video-FocalNets / DVFL-Net / FocalNet .pth, timm FocalNet .safetensors) -> Keras,
and the official config files (`official_run_config`). Exports load lazily: reading a config file
imports no TensorFlow."""

from dvfl_tf.core.lazy import lazy_getattr

_EXPORTS = {
    "convert_checkpoint": "dvfl_tf.convert.checkpoint_converter",
    "official_input_to_raw": "dvfl_tf.convert.checkpoint_converter",
    "model_from_checkpoint": "dvfl_tf.convert.checkpoint_converter",
    "CheckpointError": "dvfl_tf.convert.checkpoint_io",
    "read_state_dict": "dvfl_tf.convert.checkpoint_io",
    "CheckpointMismatchError": "dvfl_tf.convert.checkpoint_loading",
    "load_official_checkpoint": "dvfl_tf.convert.checkpoint_loading",
    "PretrainedStartReport": "dvfl_tf.convert.pretrained",
    "start_from_pretrained": "dvfl_tf.convert.pretrained",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
