"""Distribution strategy, mixed precision and XLA switches."""

import keras
import tensorflow as tf

STRATEGIES = ("auto", "mirrored", "multi_worker", "tpu", "one_device")


def make_strategy(name="auto", tpu_address=None):
    """A `tf.distribute` strategy by name.

    - "auto": the default strategy (one device; Keras places it on a GPU if present);
    - "mirrored": every local GPU (or the logical CPU devices);
    - "multi_worker": MultiWorkerMirroredStrategy (cluster from TF_CONFIG);
    - "tpu": TPUStrategy (`tpu_address` or the environment's TPU);
    - "one_device": the first GPU, else the CPU.
    """
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={name!r}")
    if name == "auto":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    device = "/gpu:0" if tf.config.list_physical_devices("GPU") else "/cpu:0"
    return tf.distribute.OneDeviceStrategy(device)


def set_mixed_precision(enabled, strategy_name="auto"):
    """Sets the global Keras dtype policy: mixed_bfloat16 on TPU, mixed_float16 elsewhere, float32 if off.

    Loss scaling for float16 is done by Keras (the optimizer is wrapped at compile).
    """
    if not enabled:
        policy = "float32"
    else:
        policy = "mixed_bfloat16" if strategy_name == "tpu" else "mixed_float16"
    keras.mixed_precision.set_global_policy(policy)
    return policy
