"""The causal temporal maths: what a causal clip model and the streaming model compute over frames.

A causal temporal convolution pads its past frames (`pad_past_frames`), a causal global
context is the running mean over the frames so far (`running_mean_over_frames` on a clip,
`update_running_mean` one frame at a time); `dense_columns` lets a streaming step split
one dense layer into column blocks. `video_focalnet_streaming` builds the streaming model.
"""

from keras import ops


def pad_past_frames(x, num_frames):
    """Zero-pads `num_frames` frames before the first one: (B, T, N, C) -> (B, T + num_frames, N, C).

    A "valid" (k, 1) convolution after padding k - 1 past frames is causal:
    output frame t sees input frames t - k + 1 .. t only.
    """
    if num_frames == 0:
        return x
    return ops.pad(x, [[0, 0], [num_frames, 0], [0, 0], [0, 0]])


def running_mean_over_frames(x):
    """(B, T, N, C) -> (B, T, N, C): frame t holds the mean of frames 0..t.

    Written as a depthwise (T, 1) convolution of all-ones over T - 1 zero-padded
    past frames, times 1 / (t + 1): builtin, int8-capable ops on 4-D tensors
    (TFLite's CUMSUM has no int8 kernel).
    """
    frames, channels = x.shape[1], x.shape[-1]
    padded = pad_past_frames(x, frames - 1)
    ones = ops.ones((frames, 1, channels, 1), dtype=x.dtype)
    sums = ops.depthwise_conv(padded, ones, strides=1, padding="valid")
    reciprocal_counts = ops.reshape(1.0 / ops.arange(1, frames + 1, dtype=x.dtype), (1, frames, 1, 1))
    return sums * reciprocal_counts


def update_running_mean(mean, x, frame_weight):
    """The running mean after one more frame: m + (x - m) * w, with w = 1 / (frames so far).

    A mean rather than a sum is carried so that the state keeps one range however
    long the stream runs (an int8 sum would need a scale growing with t); a `w`
    held at 1 / N after N frames turns it into an exponential moving average.
    """
    updated = mean + (x - mean) * frame_weight
    # Exactly `updated`, routed through a concatenation with `mean`: int8 TFLite gives
    # a concatenation's inputs and output one scale, so the state output has the state
    # input's quantization and an app feeds it back as it is (no requantization).
    channels = mean.shape[-1]
    return ops.concatenate([mean, updated], axis=-1)[..., channels:]


def dense_columns(dense, x, start, stop):
    """`dense(x)[..., start:stop]`, computed from those columns of the kernel (and bias) only."""
    kernel = ops.cast(dense.kernel, x.dtype)[:, start:stop]
    y = ops.matmul(x, kernel)
    if dense.use_bias:
        y = y + ops.cast(dense.bias, x.dtype)[start:stop]
    return y
