"""The frame normalization folded into the stem: the same function, two full-resolution ops fewer in the file."""

import numpy as np

from dvfl_tf.export import export_tflite, inspect_graph
from dvfl_tf.export.calibration import synthetic_motion_clips
from dvfl_tf.export.input_folding import can_fold_input_normalization, fold_input_normalization
from dvfl_tf.export.verification import keras_logits
from tests.model_testing import tiny_classifier

CLASS_NAMES = ["walk", "run", "jump"]


def make_mini_classifier(**overrides):
    # The export tests' mini model (one stage, one block, 2 frames of 16x16), with `overrides`.
    config = {"depths": [1], "focal_levels": [2], "focal_windows": [3], "image_size": 16, "num_frames": 2}
    return tiny_classifier(num_classes=len(CLASS_NAMES), **{**config, **overrides})


def _ops_on_input(graph):
    """Op names of the ops that read the file's input tensor."""
    input_index = graph["inputs"][0]
    return [op["op"] for op in graph["ops"] if input_index in op["inputs"]]


def test_folded_copy_computes_the_same_logits_for_a_tubelet_stem():
    model = make_mini_classifier(tubelet_size=2)
    folded = fold_input_normalization(model)
    assert folded is not model and folded.backbone.get_layer("frame_normalization").folded
    assert not model.backbone.get_layer("frame_normalization").folded  # the user's model is untouched
    clips = synthetic_motion_clips(3, model.num_frames, model.frame_shape, seed=4)
    original = keras_logits(model.single_clip_model(), clips)
    np.testing.assert_allclose(keras_logits(folded.single_clip_model(), clips), original, atol=1e-4)
    # The stem's kernel changed (W / std), so the fold is not a no-op that passes by accident.
    stem = "patch_embed"
    assert not np.allclose(
        folded.backbone.get_layer(stem).proj.kernel.numpy(), model.backbone.get_layer(stem).proj.kernel.numpy()
    )


def test_a_padded_stem_is_not_folded():
    # use_conv_embed pads the stem: the padded zeros stand for `mean`, so the fold would not be exact.
    model = make_mini_classifier(use_conv_embed=True, image_size=32)
    assert not can_fold_input_normalization(model)
    assert fold_input_normalization(model) is model


def test_exported_files_have_no_normalization_ops_and_match_the_model(tmp_path):
    model = make_mini_classifier(tubelet_size=2)
    for mode in ("float32", "int8"):
        path = tmp_path / f"folded_{mode}.tflite"
        report = export_tflite(model, path, mode=mode, class_names=CLASS_NAMES)
        graph = inspect_graph(path.read_bytes())
        # Without the fold the input goes through SUB then MUL; now straight into the stem's reshape.
        assert not {"SUB", "MUL", "DIV"} & set(_ops_on_input(graph)), _ops_on_input(graph)
        if mode == "float32":
            assert report.max_abs_logit_diff < 1e-4  # verified against the unfolded Keras model
        else:
            assert report.fully_integer is True
