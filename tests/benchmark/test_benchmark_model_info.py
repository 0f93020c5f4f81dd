import keras
import pytest
import tensorflow as tf

from dvfl_tf.latency.model_info import inspect_tflite


def test_macs_of_known_layers(tmp_path):
    # Hand-counted MACs: conv 3x3 (3->8 channels) on 8x8 "same": 8*8*8 * 3*3*3 = 13824;
    # depthwise 5x5 on 8x8x8: 8*8*8 * 25 = 12800; (k, 1) conv 3x1 8->4: 8*8*4 * 3*8 = 6144;
    # dense 4->6 on 8x8 tokens: 64 * 6 * 4 = 1536. Batch 2 doubles everything.
    inputs = keras.Input(shape=(8, 8, 3), batch_size=2)
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = keras.layers.DepthwiseConv2D(5, padding="same", use_bias=False)(x)
    x = keras.layers.Conv2D(4, (3, 1), padding="same", use_bias=False)(x)
    x = keras.layers.Dense(6)(x)
    path = tmp_path / "layers.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, x)).convert())
    info = inspect_tflite(str(path))
    assert info.macs == 2 * (13824 + 12800 + 6144 + 1536)
    assert info.macs_by_op["DEPTHWISE_CONV_2D"] == 2 * 12800
    assert info.precision == "float32"


def test_precision_and_ops_of_tiny_models(tiny_models):
    float_info = inspect_tflite(tiny_models["float32"])
    dynamic_info = inspect_tflite(tiny_models["dynamic_range"])
    assert float_info.precision == "float32"
    assert dynamic_info.precision == "dynamic_range"
    assert float_info.op_counts["FULLY_CONNECTED"] > 0
    # Quantising weights changes no shapes: the same MACs.
    assert dynamic_info.macs == float_info.macs > 0


def test_macs_match_keras_profile(tiny_models):
    from dvfl_tf.models.profiling import profile_model

    keras_macs = profile_model(tiny_models["classifier"].single_clip_model())["macs"]
    tflite_macs = inspect_tflite(tiny_models["float32"]).macs
    assert tflite_macs == pytest.approx(keras_macs, rel=0.01)
