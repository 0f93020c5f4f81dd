"""Distribution strategy, mixed precision and XLA switches."""

import keras
import tensorflow as tf

from dvfl_tf.core.checks import check_choice
from dvfl_tf.training.cluster import PEER_TIMEOUT_S, prepare_multi_worker, stop_promptly_on_signals
from dvfl_tf.training.train_config import STRATEGIES


def make_strategy(name="auto", tpu_address=None, peer_timeout=PEER_TIMEOUT_S):
    """A `tf.distribute` strategy by name.

    - "auto": the default strategy (one device; Keras places it on a GPU if present);
    - "mirrored": every local GPU (or the logical CPU devices);
    - "multi_worker": MultiWorkerMirroredStrategy (cluster from TF_CONFIG); it must be
      created before TensorFlow runs its first operation (collectives are configured
      at program start), so the jobs create the strategy first of all. TF_CONFIG is
      checked and the peers awaited for at most `peer_timeout` seconds first
      (`dvfl_tf.training.cluster`); a missing TF_CONFIG is an error;
    - "tpu": TPUStrategy (`tpu_address` or the environment's TPU);
    - "one_device": the first GPU, else the CPU.
    """
    check_choice("strategy", name, STRATEGIES)
    if name == "auto":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        prepare_multi_worker(peer_timeout)
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        stop_promptly_on_signals()  # again: the Python handlers, after TensorFlow installed its own
        return strategy
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    device = "/gpu:0" if tf.config.list_physical_devices("GPU") else "/cpu:0"
    return tf.distribute.OneDeviceStrategy(device)


def is_chief(strategy):
    """True on the worker that writes the run directory (always, outside multi-worker training)."""
    return bool(getattr(strategy.extended, "should_checkpoint", True))


def shard_by_data(dataset, strategy):
    """Under MultiWorkerMirroredStrategy, each worker takes its share of every global batch.

    The pipelines decode videos in Python, so there are no files for tf.data to
    shard by: DATA sharding makes worker i take the i-th slice of each global
    batch, the same examples a single process would put in that batch.
    """
    if dataset is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


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
