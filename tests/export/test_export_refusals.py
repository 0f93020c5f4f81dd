"""Graphs that would not run on mobile delegates are refused, naming the op or tensor."""

import keras
import numpy as np
import pytest

from dvfl_tf.export import ConversionError, ExportRefusedError, export_tflite, inspect_graph
from dvfl_tf.export.tflite_graph import check_mobile_compatible


def test_conv3d_is_refused_by_name(tmp_path):
    inputs = keras.Input(batch_shape=(4, 8, 8, 3))
    x = keras.ops.expand_dims(inputs, 0)  # (1, frames, H, W, C): a Conv3D clip
    x = keras.layers.Conv3D(2, 3, padding="same")(x)
    outputs = keras.layers.GlobalAveragePooling3D()(x)
    model = keras.Model(inputs, outputs)
    output = tmp_path / "conv3d.tflite"
    with pytest.raises(ExportRefusedError, match="CONV_3D"):
        export_tflite(model, output)
    assert not output.exists(), "a refused model must not be written"


def test_rank5_tensor_is_refused_by_name(tmp_path):
    inputs = keras.Input(batch_shape=(4, 8, 8, 3))
    x = keras.ops.reshape(inputs, (2, 2, 8, 8, 3))
    x = keras.ops.reshape(x * 2.0 + 1.0, (1, 4 * 8 * 8 * 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    with pytest.raises(ExportRefusedError, match="rank 5"):
        export_tflite(model, tmp_path / "rank5.tflite")


def test_ops_without_builtin_kernel_are_refused_by_name(tmp_path):
    import tensorflow as tf

    class CumulativeProduct(keras.layers.Layer):
        # tf.math.cumprod has no TFLite builtin: only the Flex delegate runs it.
        def call(self, x):
            return tf.math.cumprod(x / 255.0, axis=-1)

    inputs = keras.Input(batch_shape=(2, 8, 8, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(CumulativeProduct()(inputs))))
    with pytest.raises(ConversionError, match="Cumprod"):
        export_tflite(model, tmp_path / "flex.tflite")


def test_flex_op_in_an_existing_file_is_named(tmp_path):
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((4,), tf.float32)])
    def with_flex(x):
        return tf.math.cumprod(x)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([with_flex.get_concrete_function()], with_flex)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    graph = inspect_graph(converter.convert())
    with pytest.raises(ExportRefusedError, match="Flex.*FlexCumprod"):
        check_mobile_compatible(graph)


def test_not_a_tflite_file():
    with pytest.raises(ValueError, match="TFL3"):
        inspect_graph(np.zeros(64, np.uint8).tobytes())
