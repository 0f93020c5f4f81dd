"""A distillation step under MirroredStrategy over 2 logical CPU devices equals the single-device step."""

import subprocess
import sys
import textwrap

import numpy as np

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import tensorflow as tf

    # Must run before TensorFlow initialises its devices.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import keras
    from tests.model_testing import random_clips, tiny_classifier
    from dvfl_tf.training.distillation_losses import LogitsDistillation
    from dvfl_tf.training.distiller import Distiller

    clips = random_clips(4, 4, 32, seed=5)
    labels = np.eye(3, dtype="float32")[[0, 1, 2, 0]]

    def step(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(7)
            # One stage each: the strategy, not the depth, is under test (each replica traces the step).
            one_stage = dict(depths=[1], focal_levels=[2], focal_windows=[3])
            student, teacher = tiny_classifier(3, **one_stage), tiny_classifier(3, embed_dim=12, **one_stage)
            distiller = Distiller(teacher, student, LogitsDistillation(temperature=4.0), student_loss_weight=0.5)
            distiller.compile(optimizer=keras.optimizers.SGD(0.5))
            initial = [w.copy() for w in student.get_weights()]
        dataset = tf.data.Dataset.from_tensor_slices((clips, labels)).batch(4)
        history = distiller.fit(dataset, epochs=1, verbose=0)
        moved = max(float(np.max(np.abs(a - b))) for a, b in zip(initial, student.get_weights()))
        return strategy.num_replicas_in_sync, history.history["loss"][0], student.get_weights(), moved

    replicas, mirrored_loss, mirrored, _ = step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    _, single_loss, single, moved = step(tf.distribute.get_strategy())
    np.savez(sys.argv[1], replicas=replicas, mirrored_loss=mirrored_loss, single_loss=single_loss,
             max_diff=max(float(np.max(np.abs(a - b))) for a, b in zip(mirrored, single)),
             moved=moved)
    """
)


def test_mirrored_strategy_step_matches_single_device(tmp_path, subprocess_env):
    result_path = str(tmp_path / "result.npz")
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, result_path], env=subprocess_env, capture_output=True, text=True, timeout=900
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = np.load(result_path)
    assert int(result["replicas"]) == 2
    # Same global-batch loss, and the same weights after one SGD step.
    np.testing.assert_allclose(float(result["mirrored_loss"]), float(result["single_loss"]), rtol=1e-4)
    assert float(result["moved"]) > 1e-3  # the step did change the weights
    assert float(result["max_diff"]) < 1e-4
