"""The quickstart's determinism settings, in fresh processes (a thread pool is a per-process setting)."""

import subprocess
import sys

CHECK = """
import sys
import tensorflow as tf
from tensorflow.python.framework import config  # no public getter for op determinism
if sys.argv[1] == "started":
    tf.constant(1.0) + 1.0  # the runtime starts with its default inter-op pool
from dvfl_tf.apps.quickstart import make_deterministic
make_deterministic(0)
print(tf.config.threading.get_inter_op_parallelism_threads(), config.is_op_determinism_enabled())
"""


def _run(mode):
    return subprocess.run([sys.executable, "-c", CHECK, mode], capture_output=True, text=True, timeout=300)


def test_make_deterministic_pins_one_inter_op_thread_and_op_determinism():
    result = _run("fresh")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "True"]
    assert "Warning" not in result.stderr


def test_make_deterministic_says_when_the_runtime_already_runs_with_more_inter_op_threads():
    result = _run("started")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True"]  # 0: TensorFlow's default pool, one thread per core
    assert "TF_NUM_INTEROP_THREADS=1" in result.stderr
