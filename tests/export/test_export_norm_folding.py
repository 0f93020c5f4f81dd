"""Batch norms, per-channel maps and DyT folded into the neighbouring conv and dense layers: the same function,
no normalization op left but DyT's TANH."""

import re

import keras
import numpy as np
import pytest

from dvfl_tf.export import export_tflite, inspect_graph
from dvfl_tf.export.calibration import synthetic_motion_clips
from dvfl_tf.export.input_folding import fold_input_normalization
from dvfl_tf.export.norm_folding import can_fold_norms, fold_norms
from dvfl_tf.export.verification import keras_logits
from dvfl_tf.latency.op_profile import xnnpack_partitions
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import FOLDABLE_NORMS, ChannelAffine, DynamicTanh
from dvfl_tf.models.video_focalnet.video_focalnet_streaming_test import INT8_BLOCK, trained_like_batch_norms
from tests.model_testing import tiny_classifier

CLASS_NAMES = ["walk", "run", "jump"]
NORM_LAYER = re.compile(r"(norm\d?|ln)(_\d+)?")  # a norm layer's scope in a tensor name: norm1_1, norm_1, ln_1


def make_batch_norm_classifier(**overrides):
    # Two stages (a downsample between), one block each, 2 frames of 16x16; batch norms with non-trivial statistics.
    # Seeded: the same weights whatever ran before. (Without per-token statistics the logits of some draws reach
    # the thousands, where float32 rounding alone exceeds the tests' absolute 1e-4.)
    keras.utils.set_random_seed(0)
    config = {"depths": [1, 1], "focal_levels": [2, 2], "focal_windows": [3, 3], "image_size": 16, "num_frames": 2}
    model = tiny_classifier(num_classes=len(CLASS_NAMES), **{**config, "norm": "batch", **overrides})
    return trained_like_batch_norms(model)


def _foldable_norms(model):
    return [layer for layer in model.backbone._flatten_layers() if isinstance(layer, FOLDABLE_NORMS)]  # noqa: SLF001


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"tubelet_size": 2, "activation": "relu", "stem": "matmul"},
        {"use_postln": True, "use_postln_in_modulation": True, "use_layerscale": True, "layerscale_value": 0.5},
        {"norm": "affine", "tubelet_size": 2, "activation": "relu", "stem": "matmul"},
        {"norm": "affine", "use_postln": True, "use_postln_in_modulation": True},
        {"norm": "dynamic_tanh", "tubelet_size": 2, "activation": "relu", "stem": "matmul"},
        {"norm": "dynamic_tanh", "use_postln": True, "use_postln_in_modulation": True},
    ],
)
def test_folded_copy_computes_the_same_logits(overrides):
    model = make_batch_norm_classifier(**overrides)
    assert can_fold_norms(model)
    kind = {"affine": ChannelAffine, "dynamic_tanh": DynamicTanh}.get(overrides.get("norm"))
    if kind:
        in_blocks = [norm for norm in _foldable_norms(model) if "blocks" in norm.path or norm.path == "norm"]
        assert in_blocks and all(isinstance(norm, kind) for norm in in_blocks)
    folded = fold_norms(model)
    # A DyT folds only into a dense layer after it, not into a post-norm block's branch before it (norm1,
    # norm2); with norm="dynamic_tanh" the stem's and the downsample's norms are ChannelAffine, which fold.
    for norm in _foldable_norms(folded):
        after_branch = isinstance(norm, DynamicTanh) and norm.path.split("/")[-1] in ("norm1", "norm2")
        assert norm.folded != (after_branch and bool(overrides.get("use_postln"))), norm.path
    assert not any(norm.folded for norm in _foldable_norms(model))  # the user's model is untouched
    assert not can_fold_norms(folded) and fold_norms(folded) is folded
    clips = synthetic_motion_clips(3, model.num_frames, model.frame_shape, seed=4)
    original = keras_logits(model.single_clip_model(), clips)
    assert np.abs(original).max() > 1e-3
    np.testing.assert_allclose(keras_logits(folded.single_clip_model(), clips), original, atol=1e-4)
    # Both folds compose, in either order (the flags survive `rebuilt`).
    for both in (fold_norms(fold_input_normalization(model)), fold_input_normalization(folded)):
        assert both.backbone.get_layer("frame_normalization").folded
        assert [norm.folded for norm in _foldable_norms(both)] == [norm.folded for norm in _foldable_norms(folded)]
        np.testing.assert_allclose(keras_logits(both.single_clip_model(), clips), original, atol=1e-4)


def test_a_layer_norm_model_is_not_folded():
    model = tiny_classifier(num_classes=3, depths=[1], focal_levels=[1], focal_windows=[3], image_size=16)
    assert not can_fold_norms(model) and fold_norms(model) is model


def test_folded_streaming_model_equals_the_original_stream():
    model = make_batch_norm_classifier(causal=True, tubelet_size=2, temporal_conv="depthwise", **INT8_BLOCK)
    stream, folded_stream = model.streaming_model(), fold_norms(model).streaming_model()
    states = [np.zeros(tuple(i.shape), np.float32) for i in stream.inputs[2:]]
    folded_states = list(states)
    clip = synthetic_motion_clips(1, 2, (16, 16), seed=5)[0]
    for step in range(1, 4):
        frames = np.roll(clip, step, axis=1).reshape(tuple(stream.inputs[0].shape))
        weight = np.full((1, 1), 1.0 / step, np.float32)
        out = [keras.ops.convert_to_numpy(o) for o in stream([frames, weight, *states])]
        folded_out = [keras.ops.convert_to_numpy(o) for o in folded_stream([frames, weight, *folded_states])]
        np.testing.assert_allclose(folded_out[0], out[0], atol=1e-4)
        states, folded_states = out[1:], folded_out[1:]


@pytest.mark.parametrize("norm", ["batch", "affine"])
def test_exported_files_have_no_normalization_ops(tmp_path, norm):
    model = make_batch_norm_classifier(tubelet_size=2, **{**INT8_BLOCK, "norm": norm})
    for mode in ("float32", "int8"):
        path = tmp_path / f"{norm}_norm_{mode}.tflite"
        report = export_tflite(model, path, mode=mode, class_names=CLASS_NAMES)
        graph = inspect_graph(path.read_bytes())
        assert "RSQRT" not in graph["op_histogram"] and "SUB" not in graph["op_histogram"]
        for op in graph["ops"]:  # no op computes inside a norm layer (they are the identity in the folded copy)
            names = [graph["tensors"][i]["name"].split(";")[0] for i in op["outputs"]]
            inside_norm = [n for n in names if any(NORM_LAYER.fullmatch(part) for part in n.split("/"))]
            assert not inside_norm, (op["op"], inside_norm)
        # What is left of MUL and ADD is the modulation's products and sums and the residual adds.
        # Per block: q * modulators (2) and a gate product per focal level and the global one, spatial and temporal.
        assert graph["op_histogram"].get("MUL", 0) == 2 * (2 + 2 * 3)
        if mode == "float32":
            assert report.max_abs_logit_diff < 1e-4  # verified against the unfolded Keras model
        else:
            assert report.fully_integer is True


def test_stream_files_of_the_int8_block_equal_the_causal_clip_model_and_stay_batch_one(tmp_path):
    from dvfl_tf.export import tflite_graph
    from dvfl_tf.export.stream_exporter import export_stream_tflite
    from dvfl_tf.runtime import TFLiteStreamClassifier
    from tests.model_testing import random_clips

    model = make_batch_norm_classifier(causal=True, tubelet_size=2, temporal_conv="depthwise", **INT8_BLOCK)
    clip = random_clips(1, 2, 16, seed=7)[0]
    for mode in ("float32", "int8"):
        path = tmp_path / f"stream_{mode}.tflite"
        export_stream_tflite(model, path, mode=mode, calibration_clips=random_clips(4, 2, 16, seed=5))
        graph = tflite_graph.inspect_graph(path.read_bytes())
        assert tflite_graph.mobile_violations(graph) == [] and "RSQRT" not in graph["op_histogram"]
        activations = [t for t in graph["tensors"] if not t["constant"] and len(t["shape"]) >= 2]
        assert all(t["shape"][0] == 1 for t in activations)  # the matmul stem keeps the outer dimension 1
        if mode == "float32":
            streamed = TFLiteStreamClassifier(str(path)).stream_clip_logits(clip)
            expected = keras_logits(model.single_clip_model(), [clip])[0]
            np.testing.assert_allclose(streamed[-1], expected, atol=1e-4, rtol=0)


def test_dynamic_tanh_files_keep_one_tanh_per_norm_and_run_whole_on_xnnpack(tmp_path):
    model = make_batch_norm_classifier(tubelet_size=2, **{**INT8_BLOCK, "norm": "dynamic_tanh"})
    dynamic_tanhs = [norm for norm in _foldable_norms(model) if isinstance(norm, DynamicTanh)]
    for norm in dynamic_tanhs:  # away from the initial slope, so that a lost alpha shows
        norm.alpha.assign(1.5)
    norms = len(dynamic_tanhs)
    for mode in ("float32", "int8"):
        path = tmp_path / f"dynamic_tanh_{mode}.tflite"
        report = export_tflite(model, path, mode=mode, class_names=CLASS_NAMES)
        graph = inspect_graph(path.read_bytes())
        assert graph["op_histogram"].get("TANH") == norms
        assert "RSQRT" not in graph["op_histogram"] and "SUB" not in graph["op_histogram"]
        partitions, delegated = xnnpack_partitions(str(path))
        assert partitions == 1 and delegated == set(range(len(graph["ops"])))
        if mode == "float32":
            assert report.max_abs_logit_diff < 1e-4  # verified against the unfolded Keras model
        else:
            assert report.fully_integer is True
