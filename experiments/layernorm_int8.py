"""LayerNorm on XNNPACK, float32 and int8: Keras' LayerNormalization against a SUB/MUL formulation.

Keras lowers LayerNormalization through tf.nn.moments to SQUARED_DIFFERENCE,
which XNNPACK does not take in int8 (it then runs in TFLite's reference
kernel). `d = x - mean(x); var = mean(d * d)` is the same maths with SUB and
MUL, both delegated. Shape: vfl_net_nano's stage 1, (8, 56, 56, 96); 2 threads.

    PYTHONPATH=. python experiments/layernorm_int8.py
"""

import collections
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from keras import ops  # noqa: E402

from dvfl_tf.latency.op_profile import median_invoke_ms  # noqa: E402

SHAPE = (8, 56, 56, 96)


class SubMulLayerNorm(keras.layers.Layer):
    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.beta = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        centred = x - ops.mean(x, axis=-1, keepdims=True)
        variance = ops.mean(centred * centred, axis=-1, keepdims=True)
        return centred * ops.rsqrt(variance + 1e-5) * self.gamma + self.beta


def to_tflite(layer, int8):
    inputs = keras.Input(shape=SHAPE[1:], batch_size=SHAPE[0])
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, layer(inputs)))
    if int8:
        rng = np.random.default_rng(0)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([rng.normal(size=SHAPE).astype("float32")] for _ in range(3))
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def median_ms(content, threads=2, runs=15):
    interpreter = Interpreter(model_content=content, num_threads=threads)
    interpreter.allocate_tensors()
    ops_used = collections.Counter(op["op_name"] for op in interpreter._get_ops_details())
    detail = interpreter.get_input_details()[0]
    rng = np.random.default_rng(0)
    if detail["dtype"] == np.float32:
        data = rng.normal(size=detail["shape"]).astype("float32")
    else:
        data = rng.integers(-128, 127, detail["shape"]).astype(detail["dtype"])
    interpreter.set_tensor(detail["index"], data)
    return median_invoke_ms(interpreter, runs, warmup=2), ops_used


def main():
    for name, make_layer in [
        ("keras LayerNormalization", lambda: keras.layers.LayerNormalization(epsilon=1e-5)),
        ("x - mean, MUL, mean", SubMulLayerNorm),
    ]:
        for int8 in (False, True):
            ms, ops_used = median_ms(to_tflite(make_layer(), int8))
            print(
                f"{name:26s} {'int8' if int8 else 'float32':8s} {ms:7.2f} ms  "
                f"XNNPACK partitions={ops_used.get('DELEGATE', 0)}  ops={dict(ops_used)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
