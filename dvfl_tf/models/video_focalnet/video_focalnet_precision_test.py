"""keras-hub-style precision tests: every layer and the whole classifier under float16 and bfloat16 policies.

keras-hub's `run_precision_test` builds a model under each dtype policy and checks
that every sublayer took the policy (variables in the variable dtype, computation in
the compute dtype) and that the outputs are finite. Ours does the same for each
Video-FocalNet layer and for a tiny classifier. LayerNorm computes its statistics in
float32 on purpose (half-precision sums of squares overflow), so its output is
cast back to the compute dtype: the output dtype is checked, not the inner tensors.
"""

import keras
import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_block import VideoFocalNetBlock
from dvfl_tf.models.video_focalnet.video_focalnet_embedding import PatchEmbedding
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import LayerNorm
from dvfl_tf.models.video_focalnet.video_focalnet_modulation import SpatioTemporalFocalModulation
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import VideoFocalNetPreprocessor
from tests.model_testing import give_real_scale, random_clips, tiny_classifier

POLICIES = ["float16", "bfloat16", "mixed_float16", "mixed_bfloat16"]


def _expected_dtypes(policy_name):
    policy = keras.DTypePolicy(policy_name)
    return policy.compute_dtype, policy.variable_dtype


def _check_layer_tree(layer, policy_name):
    """Every layer under `layer` has the policy, and every variable its variable dtype."""
    compute_dtype, variable_dtype = _expected_dtypes(policy_name)
    for sublayer in layer._flatten_layers(include_self=True, recursive=True):
        # The preprocessor holds configuration (frames, sizes, class names) and no weights or computation
        # of the model; keras-hub keeps preprocessors out of the model's dtype policy too.
        if isinstance(sublayer, (keras.layers.InputLayer, VideoFocalNetPreprocessor)):
            continue
        assert sublayer.dtype_policy.name == policy_name, (
            f"{sublayer.name} has policy {sublayer.dtype_policy.name}, expected {policy_name}"
        )
    for variable in layer.weights:
        if variable.dtype.startswith(("float", "bfloat")):
            assert variable.dtype == variable_dtype, f"{variable.path} is {variable.dtype}"
    return compute_dtype


LAYER_CASES = {
    "layer_norm": (LayerNorm, {}, (2, 4, 4, 16)),
    "patch_embedding": (
        PatchEmbedding,
        {"embed_dim": 16, "patch_size": 4, "tubelet_size": 2, "is_stem": True},
        (4, 16, 16, 3),
    ),
    "focal_modulation": (SpatioTemporalFocalModulation, {"dim": 16, "num_frames": 2, "focal_level": 2}, (4, 4, 4, 16)),
    "block": (VideoFocalNetBlock, {"dim": 16, "num_frames": 2, "drop_path": 0.1}, (4, 4, 4, 16)),
    "causal_depthwise_block": (
        VideoFocalNetBlock,
        {"dim": 16, "num_frames": 2, "causal": True, "temporal_conv": "depthwise"},
        (4, 4, 4, 16),
    ),
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_takes_the_dtype_policy(case, policy):
    layer_cls, kwargs, input_shape = LAYER_CASES[case]
    layer = layer_cls(**kwargs, dtype=policy)
    x = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    if layer_cls is PatchEmbedding:
        x = x * 50.0 + 120.0  # raw pixel range
    outputs = layer(x, training=False)
    compute_dtype = _check_layer_tree(layer, policy)
    assert outputs.dtype == compute_dtype
    assert np.isfinite(keras.ops.convert_to_numpy(keras.ops.cast(outputs, "float32"))).all()


@pytest.mark.parametrize("policy", POLICIES)
def test_classifier_runs_under_the_policy_with_finite_outputs(policy):
    keras.utils.set_random_seed(0)
    model = tiny_classifier(num_classes=3, dtype=policy)
    clips = random_clips(8, 4, 32)
    # The float32 reference, its logits of a real scale (spread ~3 over these clips): a bound in absolute units
    # on logits of ~0.05 would pass zeros.
    reference = give_real_scale(tiny_classifier(num_classes=3), clips)
    model(clips[:1])
    model.set_weights(reference.get_weights())
    logits = model(clips, training=False)
    compute_dtype = _check_layer_tree(model, policy)
    assert logits.dtype == compute_dtype
    values = keras.ops.convert_to_numpy(keras.ops.cast(logits, "float32"))
    assert np.isfinite(values).all()
    # Half precision must still compute the same function, to half-precision rounding.
    expected = keras.ops.convert_to_numpy(reference(clips, training=False))
    spread = expected.std()
    assert spread > 1.0
    error = np.abs(values - expected)
    assert error.max() <= 0.1 * spread, (error.max(), spread)  # measured: up to 0.06 x spread (mixed_bfloat16)
    # The guard: zeros, or another clip's logits, are farther than the bound.
    assert (
        np.abs(expected).max() > 0.1 * spread and np.abs(np.roll(expected, 1, axis=0) - expected).max() > 0.1 * spread
    )
