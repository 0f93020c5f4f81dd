"""Frame-by-frame (streaming) inference of a causal Video-FocalNet classifier.

A causal backbone (`causal=True`) computes frame t from frames 0..t only, so
it can run one frame (one tubelet) at a time if every temporal operation
carries what it needs from earlier frames:

- each temporal convolution of kernel k: its last k - 1 input frames;
- each global temporal context, and the clip pooling: the running mean over
  the frames so far, updated as m + (x - m) * w with w = 1 / t an input.

The streaming model takes the newest frame, `frame_weight` and the states,
and returns the logits for the frames so far and the new states, in the same
order as the state inputs. Every tensor has outer dimension 1 and rank <= 4,
the layout the GPU delegate and the Edge TPU need; the weights are the clip
model's own (shared, not copied).
"""

import keras
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_block import VideoFocalNetBlock
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import PatchEmbedding
from dvfl_tf.models.video_focalnet.video_focalnet_streaming_ops import update_running_mean

FRAMES_INPUT = "frames"
WEIGHT_INPUT = "frame_weight"
LOGITS_OUTPUT = "logits"
POOL_STATE = "pool_mean"


class _StreamStep(keras.layers.Layer):
    """One node of the streaming graph that runs a clip-model layer's streaming method.

    The layer is held, not copied, so the weights stay shared; as one node, its
    sublayers (`proj`, `norm`, ... in every block) do not clash by name.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(name=f"{layer.name}_stream", **kwargs)
        self.layer = layer

    def call(self, inputs):
        if isinstance(self.layer, VideoFocalNetBlock):
            x, weight, *states = inputs
            x, new_states = self.layer.stream_step(x, weight, states)
            return [x, *new_states]
        return self.layer.embed_stacked_tubelets(inputs)


def _check_causal(backbone):
    if not getattr(backbone, "causal", False):
        raise ValueError(
            "A streaming model needs a causal backbone (build it with causal=True, e.g. "
            "build_model(preset, num_classes, causal=True)). Received: causal=False"
        )


def _blocks(backbone):
    return [layer for layer in backbone.layers if isinstance(layer, VideoFocalNetBlock)]


def stream_state_specs(classifier):
    """[(name, shape with batch 1)] of the streaming model's states, in input (and output) order.

    Per block, in depth order: one history per temporal conv (`..._conv{level}`,
    (1, k - 1, H*W, C)) and the running mean of its global context (`..._mean`,
    (1, 1, H*W, C)); last the running mean of the pooled features (`pool_mean`, (1, C)).
    """
    backbone = classifier.backbone
    _check_causal(backbone)
    specs = []
    for block in _blocks(backbone):
        height, width = block.input.shape[1], block.input.shape[2]
        for suffix, shape in block.modulation.stream_state_shapes(height, width):
            specs.append((f"{block.name}_{suffix}", (1,) + tuple(shape)))
    specs.append((POOL_STATE, (1, backbone.num_features)))
    return specs


def build_streaming_model(classifier, name=None):
    """The streaming Keras model of a causal `VideoFocalNetClassifier` (weights shared).

    Inputs, in order:
      - `frames`: (1, tubelet_size * H, W, 3) raw RGB in [0, 255], the newest
        tubelet's frames stacked vertically (one frame when tubelet_size is 1);
      - `frame_weight`: (1, 1), 1 / t where t counts the steps so far including this one
        (1 at the first step; hold it at 1 / N to average over about the last N steps);
      - the states of `stream_state_specs`, zeros at the first step.
    Outputs: `logits` (1, num_classes) for the frames so far, then the new states
    in the input order: feed output i + 1 back as state input i.
    """
    backbone = classifier.backbone
    _check_causal(backbone)
    height, width = backbone.frame_shape
    frames = keras.Input(shape=(backbone.tubelet_size * height, width, 3), batch_size=1, name=FRAMES_INPUT)
    frame_weight = keras.Input(shape=(1,), batch_size=1, name=WEIGHT_INPUT)
    specs = stream_state_specs(classifier)
    states = [keras.Input(shape=shape[1:], batch_size=1, name=state_name) for state_name, shape in specs]

    weight = ops.reshape(frame_weight, (1, 1, 1, 1))
    pending = list(states)
    new_states = []
    x = frames
    for layer in backbone.layers:
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout)):
            continue  # dropout is the identity at inference
        if isinstance(layer, VideoFocalNetBlock):
            count = len(layer.modulation.stream_state_shapes(x.shape[1], x.shape[2]))
            x, *block_states = _StreamStep(layer)([x, weight, *pending[:count]])
            pending = pending[count:]
            new_states.extend(block_states)
        elif isinstance(layer, PatchEmbedding) and layer.is_stem:
            x = _StreamStep(layer)(x)
        else:
            x = layer(x)
    # ClipPooling, one frame at a time: the frame's token mean, then the running mean over frames.
    pooled = update_running_mean(pending.pop(0), ops.mean(x, axis=(1, 2)), frame_weight)
    new_states.append(pooled)
    logits = classifier.head(pooled)
    return keras.Model([frames, frame_weight, *states], [logits, *new_states], name=name or f"{classifier.name}_stream")
