"""The model's LayerNorm keeps its precision under full-integer int8.

Transformer activations carry outlier channels: in the plain form
`d * rsqrt(mean(d * d) + eps)`, the one int8 scale of `d * d` is set by the
outliers' squares, so the variance of ordinary tokens rounds to a few steps and
their normalised output is mostly noise (measured here: worst token error 0.35).
`LayerNorm` prescales each token to the same range first (see its docstring).
"""

import numpy as np

from dvfl_tf.export.tflite_conversion import convert
from dvfl_tf.export.tflite_graph import float_islands, inspect_graph
from dvfl_tf.runtime.interpreter import make_interpreter, run_clip

TOKENS, CHANNELS = 64, 32


def _tokens_with_an_outlier_channel(rng, count):
    x = rng.normal(size=(count, 1, TOKENS, CHANNELS))
    x[:, :, ::2, 0] = 30.0  # every other token has one large channel
    return x.astype("float32")


def test_int8_layer_norm_keeps_ordinary_tokens_next_to_outlier_tokens():
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import LayerNorm

    rng = np.random.default_rng(0)
    inputs = keras.Input((1, TOKENS, CHANNELS), batch_size=1)
    norm = LayerNorm()
    model = keras.Model(inputs, norm(inputs))
    norm.gamma.assign(rng.uniform(0.5, 1.5, CHANNELS).astype("float32"))
    norm.beta.assign(rng.normal(0, 0.1, CHANNELS).astype("float32"))

    model_bytes = convert(model, "int8", list(_tokens_with_an_outlier_channel(rng, 16)))
    graph = inspect_graph(model_bytes)
    assert not float_islands(graph)["float_ops"]
    assert {"DIV", "ABS", "NEG"}.isdisjoint(graph["op_histogram"])  # not Edge TPU ops

    interpreter = make_interpreter(model_content=model_bytes)
    errors = []
    for x in _tokens_with_an_outlier_channel(rng, 8):
        expected = np.asarray(model(x[None]))[0]
        got = run_clip(interpreter, x[None]).reshape(expected.shape)
        errors.append(np.abs(got - expected).mean(axis=-1))
    errors = np.concatenate(errors, axis=None)
    # Output values are ~N(0, 1) x gamma; the plain form's worst token is off by 0.35 on average.
    assert errors.max() < 0.15, f"worst token's mean abs error {errors.max():.3f}"
    assert errors[1::2].mean() < 0.06, "ordinary tokens lost precision"
