"""vfl_net_nano converts to a float32 TFLite graph that phones can run: builtin ops, rank <= 4, no CONV_3D."""

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model
from tests.model_testing import random_clips


@pytest.fixture(scope="module")
def nano_tflite(tmp_path_factory):
    # Small input size for test time; the graph is the same at 8x224x224.
    model = build_model("vfl_net_nano", num_classes=51, num_frames=4, image_size=64)
    single = model.single_clip_model()
    converter = tf.lite.TFLiteConverter.from_keras_model(single)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no Flex ops
    path = tmp_path_factory.mktemp("tflite") / "nano.tflite"
    path.write_bytes(converter.convert())
    return model, path


def test_nano_tflite_is_builtin_rank4_and_matches_keras(nano_tflite):
    model, path = nano_tflite
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    ops = {op["op_name"] for op in interpreter._get_ops_details()}  # noqa: SLF001 (no public op listing)
    assert "CONV_3D" not in ops and not any(op.startswith("Flex") or op == "CUSTOM" for op in ops), ops
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "GELU"} <= ops
    # LayerNorm lowers without SQUARED_DIFFERENCE / NEG, which XNNPACK does not delegate in int8.
    assert not ops & {"SQUARED_DIFFERENCE", "NEG"}, ops
    ranks = {len(t["shape"]) for t in interpreter.get_tensor_details()}
    assert max(ranks) <= 4, ranks

    clip = random_clips(1, 4, 64, seed=3)
    input_detail = interpreter.get_input_details()[0]
    assert tuple(input_detail["shape"]) == (4, 64, 64, 3)
    interpreter.set_tensor(input_detail["index"], clip[0])
    interpreter.invoke()
    tflite_logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    keras_logits = np.asarray(model(clip, training=False))
    assert tflite_logits.shape == (1, 51)
    np.testing.assert_allclose(tflite_logits, keras_logits, atol=1e-4, rtol=0)
