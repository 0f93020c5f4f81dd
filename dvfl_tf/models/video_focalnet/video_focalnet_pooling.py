"""The pooling of Video-FocalNet's classification head: token map of every frame -> one vector per clip."""

import keras
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_activations import check_positive_int


@keras.saving.register_keras_serializable(package="dvfl_tf")
class ClipPooling(keras.layers.Layer):
    """(batch * frames, H, W, C) -> (batch, C): mean over each frame's tokens, then over frames.

    Same order as the official model (AdaptiveAvgPool1d over tokens, then the
    mean over frames), so rounding matches too.
    """

    def __init__(self, num_frames, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("num_frames", num_frames)
        self.num_frames = num_frames

    def call(self, inputs):
        x = ops.mean(inputs, axis=(1, 2))
        x = ops.reshape(x, (-1, self.num_frames, inputs.shape[-1]))
        return ops.mean(x, axis=1)

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        if batch is not None:
            batch //= self.num_frames
        return (batch, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"num_frames": self.num_frames})
        return config
