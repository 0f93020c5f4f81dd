"""`distill --strategy multi_worker`: two worker processes on 127.0.0.1 under MultiWorkerMirroredStrategy.

The two-worker run must end with the weights of the single-process run on the
same global batch, and a killed worker plus a restart of the cluster must
resume from the last finished epoch. Only the chief writes the run directory.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
from run_files import epochs_done
from tiny_student import STUDENT_OVERRIDES

from dvfl_tf.training.callbacks import read_backup, read_history

EPOCHS = 2
# Float32 rounding of the gradient all-reduce: each worker sums the per-example
# gradients of its half batch and the all-reduce adds the two halves, where one
# process sums all four in another order. The sums agree to a few float32 ulps
# (relative 1e-7 .. 1e-6); after 4 SGD steps at lr 0.05 on weights of order 0.1
# that is far below 1e-5, while one step moves the weights by more than 1e-3.
WEIGHT_ATOL = 1e-5


def _command(data_root, teacher, output, strategy, epochs=EPOCHS):
    return [
        sys.executable,
        "-m",
        "dvfl_tf",
        "distill",
        "--dataset",
        "synthetic",
        "--data-root",
        data_root,
        "--teacher",
        teacher,
        "--student",
        "vfl_net_nano",
        "--drop-path-rate",
        "0",
        "--backbone-overrides",
        STUDENT_OVERRIDES,
        "--num-frames",
        "4",
        "--image-size",
        "32",
        "--batch-size",
        "4",
        "--no-augment",
        "--epochs",
        str(epochs),
        "--steps-per-epoch",
        "2",
        "--lr",
        "0.05",
        "--warmup-epochs",
        "0",
        "--no-validation",
        "--strategy",
        strategy,
        "--output",
        output,
    ]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start_workers(command, env, log_prefix):
    """Starts the cluster: one process per worker, TF_CONFIG naming all of them; worker 0 is the chief."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes, logs = [], []
    for index in range(len(workers)):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        log = open(f"{log_prefix}_{index}.log", "w")
        processes.append(
            subprocess.Popen(
                command, env={**env, "TF_CONFIG": json.dumps(tf_config)}, stdout=log, stderr=subprocess.STDOUT
            )
        )
        logs.append(log)
    return processes, logs


def _wait(processes, logs, timeout):
    """Waits for every process; kills those still running after `timeout` seconds (their code is then -9)."""
    deadline = time.time() + timeout
    try:
        for process in processes:
            process.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    return [process.returncode for process in processes]


def _student_weights(path):
    return keras.saving.load_model(path, compile=False).get_weights()


def test_two_workers_equal_one_process_and_resume_after_a_kill(
    tiny_video_dataset, tiny_teacher_file, tmp_path, subprocess_env
):
    # 1. Two workers and one process, side by side, on the same global batch of 4.
    two = str(tmp_path / "two_workers")
    single = str(tmp_path / "single")
    processes, logs = _start_workers(
        _command(tiny_video_dataset, tiny_teacher_file, two, "multi_worker"), subprocess_env, str(tmp_path / "two")
    )
    alone_log = open(tmp_path / "single.log", "w")
    alone = subprocess.Popen(
        _command(tiny_video_dataset, tiny_teacher_file, single, "auto"),
        env=subprocess_env,
        stdout=alone_log,
        stderr=subprocess.STDOUT,
    )
    codes = _wait([*processes, alone], [*logs, alone_log], 900)
    assert codes == [0, 0, 0], [(tmp_path / f"{name}.log").read_text()[-3000:] for name in ("two_0", "two_1", "single")]
    assert (
        "multi_worker (CollectiveAllReduceStrategy): 2 replicas in sync, this worker is the chief"
        in (tmp_path / "two_0.log").read_text()
    )
    assert "2 replicas in sync, this worker is not the chief" in (tmp_path / "two_1.log").read_text()

    ours, reference = (
        _student_weights(os.path.join(two, "last.keras")),
        _student_weights(os.path.join(single, "last.keras")),
    )
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ours, reference))
    assert worst <= WEIGHT_ATOL, worst
    rows_two = read_history(os.path.join(two, "history.csv"))
    rows_one = read_history(os.path.join(single, "history.csv"))
    assert len(rows_two) == len(rows_one) == EPOCHS
    np.testing.assert_allclose([r["loss"] for r in rows_two], [r["loss"] for r in rows_one], rtol=1e-5)
    # Only the chief wrote the run directory: no temporary files of a second writer.
    assert sorted(os.listdir(two)) == sorted(os.listdir(single))

    # 2. SIGKILL a worker after the first epoch; the chief cannot go on without it and is stopped
    # too, at once (what a cluster manager does); the same command on both restarts from the last epoch.
    killed = str(tmp_path / "killed")
    command = _command(tiny_video_dataset, tiny_teacher_file, killed, "multi_worker")
    processes, logs = _start_workers(command, subprocess_env, str(tmp_path / "first"))
    deadline = time.time() + 900
    while epochs_done(killed) < 1 and all(p.poll() is None for p in processes) and time.time() < deadline:
        time.sleep(0.2)
    for process in (processes[1], processes[0]):
        process.send_signal(signal.SIGKILL)
        process.wait()
    for log in logs:
        log.close()
    killed_at = epochs_done(killed)
    assert 1 <= killed_at < EPOCHS, (killed_at, (tmp_path / "first_0.log").read_text()[-3000:])
    at_kill = _student_weights(os.path.join(killed, "last.keras"))
    # The epochs after the first trained: the uninterrupted runs' weights moved far from those of epoch 1.
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(at_kill, ours)) > 100 * WEIGHT_ATOL

    processes, logs = _start_workers(command, subprocess_env, str(tmp_path / "restart"))
    codes = _wait(processes, logs, 900)
    chief_log = (tmp_path / "restart_0.log").read_text()
    assert codes == [0, 0], [(tmp_path / f"restart_{i}.log").read_text()[-3000:] for i in range(2)]
    assert "Epoch 1/" not in chief_log and f"Epoch {EPOCHS}/{EPOCHS}" in chief_log
    assert f"Epoch {killed_at + 1}/{EPOCHS}" in chief_log
    state = json.load(open(os.path.join(killed, "state.json")))
    assert state["status"] == "complete" and state["epochs_done"] == EPOCHS
    assert [row["epoch"] for row in read_history(os.path.join(killed, "history.csv"))] == list(range(EPOCHS))
    # The backup is kept (RunBackup), at the last epoch, so that a larger --epochs can extend the run.
    assert read_backup(os.path.join(killed, "backup"))["epoch"] == EPOCHS
    # The restarted cluster read on where the killed one stopped: it ends at the uninterrupted runs' weights.
    worst = max(
        float(np.max(np.abs(a - b))) for a, b in zip(_student_weights(os.path.join(killed, "last.keras")), reference)
    )
    assert worst <= WEIGHT_ATOL, worst
