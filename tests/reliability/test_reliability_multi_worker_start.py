"""`--strategy multi_worker` never hangs: a real worker process whose peer never comes.

It prints who is missing, exits non-zero with one line when --peer-timeout runs
out, and SIGTERM (or SIGINT) ends it within 10 seconds while it waits. TF_CONFIG
mistakes (named before anything starts) are rows of reliability_cases.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _worker(tmp_path, tf_config, *extra, teacher=("--teacher-logits", "none.npz")):
    """`dvfl-tf distill --strategy multi_worker` as worker 0 of `tf_config`, output in files (no pipe to fill)."""
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    if tf_config is None:
        env.pop("TF_CONFIG", None)
    else:
        env["TF_CONFIG"] = tf_config if isinstance(tf_config, str) else json.dumps(tf_config)
    out, err = open(tmp_path / "out.log", "w"), open(tmp_path / "err.log", "w")
    command = [sys.executable, "-m", "dvfl_tf", "distill", *teacher]
    command += ["--strategy", "multi_worker", "--output", str(tmp_path / "run"), *extra]
    return subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=err), (out, err)


def _finish(process, logs, timeout):
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for log in logs:
            log.close()
    return process.returncode


def _cluster(ports, index=0):
    return {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]}, "task": {"type": "worker", "index": index}}


def _lines(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


def _waiting(port, process, limit=300):
    """Blocks until the worker holds its own port (it is then waiting for its peer); returns False if it ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def test_a_worker_whose_peer_never_comes_exits_with_one_line_within_the_bound(tmp_path):
    mine, peer = _free_ports(2)
    process, logs = _worker(tmp_path, _cluster([mine, peer]), "--peer-timeout", "12")
    assert _waiting(mine, process), (tmp_path / "err.log").read_text()[-2000:]
    started = time.monotonic()
    code = _finish(process, logs, timeout=120)
    waited = time.monotonic() - started
    assert code == 1
    assert waited <= 12 + 10, waited  # the bound, plus the interpreter's exit
    assert _lines(tmp_path / "err.log") == [
        f"Error: --peer-timeout 12: worker 1 (127.0.0.1:{peer}) of TF_CONFIG did not answer within 12 s; start it "
        "(the same command, its own TF_CONFIG task) or correct its address."
    ]
    assert f"Waiting for worker 1 (127.0.0.1:{peer}) of TF_CONFIG: 10 s of 12 s." in _lines(tmp_path / "out.log")
    assert not (tmp_path / "run").exists()  # nothing started, nothing written


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_a_waiting_worker_within_10_seconds(tmp_path, signum):
    mine, peer = _free_ports(2)
    process, logs = _worker(tmp_path, _cluster([mine, peer]))  # default --peer-timeout: 300 s
    assert _waiting(mine, process), (tmp_path / "err.log").read_text()[-2000:]
    time.sleep(1)
    started = time.monotonic()
    process.send_signal(signum)
    code = _finish(process, logs, timeout=60)
    assert time.monotonic() - started <= 10
    assert code != 0
    name = signal.Signals(signum).name
    assert _lines(tmp_path / "err.log") == [
        f"Error: stopped by {name}; the run folder (if any) resumes when the same command is run again."
    ]
    assert not (tmp_path / "run").exists()


def test_sigterm_ends_a_worker_held_inside_tensorflow_within_10_seconds(tmp_path):
    # The peer's port answers (a plain socket of this test), so the worker goes on into TensorFlow's
    # multi-worker set-up, which then waits in C++ for a peer that never speaks gRPC: SIGTERM still ends it.
    mine, peer = _free_ports(2)
    with socket.socket() as fake_peer:
        fake_peer.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        fake_peer.bind(("127.0.0.1", peer))
        fake_peer.listen(64)
        (tmp_path / "teacher.keras").write_bytes(b"")  # the job checks that it exists, then creates the strategy
        process, logs = _worker(tmp_path, _cluster([mine, peer]), teacher=("--teacher", "teacher.keras"))
        assert _waiting(mine, process), (tmp_path / "err.log").read_text()[-2000:]
        time.sleep(15)  # TensorFlow's server takes the port over and waits for the peer
        assert process.poll() is None, (tmp_path / "err.log").read_text()[-2000:]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = _finish(process, logs, timeout=60)
    assert time.monotonic() - started <= 10
    assert code != 0
    assert _lines(tmp_path / "err.log") == [
        "Error: stopped by SIGTERM; the run folder (if any) resumes when the same command is run again."
    ]
