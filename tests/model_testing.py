"""Test helpers shared by the test suite (keras-hub style layer tests, tiny configs)."""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

# A Video-FocalNet small enough for unit tests (about 0.1M parameters, 32x32 frames).
TINY_BACKBONE_CONFIG = {
    "embed_dim": 8,
    "depths": [1, 1, 1, 1],
    "focal_levels": [2, 2, 2, 2],
    "focal_windows": [3, 3, 3, 3],
    "num_frames": 4,
    "image_size": 32,
    "drop_path_rate": 0.0,
}


def tiny_classifier(num_classes=5, **overrides):
    """A tiny `VideoFocalNetClassifier` with fresh weights."""
    backbone = VideoFocalNetBackbone(**{**TINY_BACKBONE_CONFIG, **overrides}, name="backbone")
    return VideoFocalNetClassifier(backbone, num_classes=num_classes, name="tiny")


def give_real_scale(model, clips, spread=3.0, seed=0):
    """Sets the head of a classifier so that its logits on `clips` have mean 0 and spread ~`spread` per class.

    A fresh head gives logits of ~0.05, which zeros or another clip's logits match within any absolute
    tolerance; a trained classifier's span several units. The pooled features are standardised over `clips`
    and mixed by a random matrix: the logits then depend on the clip as a trained model's do, with the
    backbone unchanged. Returns `model`.
    """
    features = keras.Model(model.inputs, model.get_layer("pool").output)
    pooled = np.asarray(features.predict(np.stack(clips), verbose=0), np.float64)
    mean, std = pooled.mean(axis=0), pooled.std(axis=0) + 1e-6
    head = model.get_layer("head")
    num_classes = int(head.kernel.shape[-1])
    mixing = np.random.default_rng(seed).normal(size=(pooled.shape[1], num_classes)) / np.sqrt(pooled.shape[1])
    kernel = spread * mixing / std[:, None]
    bias = -(mean / std) @ mixing * spread
    head.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return model


def random_clips(batch, num_frames, size, seed=0):
    """Raw RGB clips in [0, 255], float32, (batch, frames, size, size, 3)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, size=(batch, num_frames, size, size, 3)).astype("float32")


def run_layer_test(layer_cls, init_kwargs, input_data, expected_output_shape, batch_sizes=None, atol=1e-6):
    """Checks a layer the way keras-hub's `run_layer_test` does.

    - `get_config` round-trips and equals the init arguments;
    - symbolic call gives `expected_output_shape`; eager call matches it;
    - one `fit` step runs and every trainable weight receives a gradient;
    - a model holding the layer saves to `.keras` and reloads with identical outputs;
    - the leading (batch) axis can vary: `batch_sizes` lists alternative leading
      sizes of `input_data` to try (the data is tiled along axis 0).
    """
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    for key, value in init_kwargs.items():
        got = config[key]
        assert _same(got, value), f"get_config()[{key!r}] = {got!r}, expected {value!r}"
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config, "config does not round-trip"

    # Symbolic call.
    symbolic_input = keras.Input(batch_shape=input_data.shape)
    symbolic_output = layer(symbolic_input)
    assert tuple(symbolic_output.shape) == tuple(expected_output_shape), (
        f"symbolic output shape {symbolic_output.shape} != {expected_output_shape}"
    )
    # Eager call.
    eager_output = keras.ops.convert_to_numpy(layer(input_data))
    assert eager_output.shape == tuple(expected_output_shape)
    assert np.all(np.isfinite(eager_output))

    # Gradients reach every trainable weight.
    with tf.GradientTape() as tape:
        out = layer(input_data, training=True)
        loss = tf.reduce_mean(tf.square(out))
    grads = tape.gradient(loss, layer.trainable_variables)
    missing = [v.path for v, g in zip(layer.trainable_variables, grads) if g is None]
    assert not missing, f"no gradient for {missing}"

    # One fit step inside a model. The loss is the output's energy, so layers
    # that change the leading (folded batch) axis need no matching target.
    fit_model = _output_energy_model(layer_cls(**init_kwargs))
    fit_model.compile(optimizer="sgd")
    history = fit_model.fit(input_data, batch_size=input_data.shape[0], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    model_input = keras.Input(shape=input_data.shape[1:])
    model = keras.Model(model_input, layer_cls(**init_kwargs)(model_input))

    # .keras save/load with identical outputs.
    reference = keras.ops.convert_to_numpy(model(input_data))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(input_data)), reference, atol=atol, rtol=0)

    # Other batch sizes.
    for batch in batch_sizes or ():
        reps = -(-batch // input_data.shape[0])
        data = np.concatenate([input_data] * reps, axis=0)[:batch]
        out = keras.ops.convert_to_numpy(model(data))
        assert out.shape[0] == _scaled_batch(batch, input_data.shape[0], expected_output_shape[0])
    return layer


def _output_energy_model(layer):
    """A model around `layer` whose training loss is mean(output ** 2)."""

    class OutputEnergyModel(keras.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, inputs, training=None):
            return self.layer(inputs, training=training)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return keras.ops.mean(keras.ops.square(y_pred))

    return OutputEnergyModel(layer)


def _scaled_batch(batch, input_batch, output_batch):
    # Layers that merge or split the leading axis (tubelets, clip pooling) scale it.
    return batch * output_batch // input_batch


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b
