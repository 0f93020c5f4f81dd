"""Multi-worker start-up that cannot hang: TF_CONFIG checked first, a bounded wait for the peers, prompt stops.

TensorFlow's MultiWorkerMirroredStrategy waits for every worker of TF_CONFIG
inside C++, with no time limit and with its own SIGTERM handler (a preemption
notifier), so a worker whose peer never comes prints nothing and can only be
killed. Before the strategy is created, `wait_for_peers` therefore:

1. parses and checks TF_CONFIG (`ClusterError` names TF_CONFIG and what is wrong);
2. holds this worker's port with a plain listening socket (so that the peers'
   probes find it) and probes each peer's port until all answer, printing who is
   missing every `PROGRESS_EVERY_S` seconds; after `timeout` seconds it gives up
   with one line naming the missing workers;
3. releases the port, which TensorFlow's server then binds.

`stop_promptly_on_signals` makes SIGTERM and SIGINT end the process within a
few seconds at any time: the signal is raised in Python as `StopSignal` where
Python runs, and a watchdog thread ends the process if the main thread is held
in native code. Run folders are written by temp-and-rename, so a stopped run
resumes when the same command is run again. No TensorFlow import here.
"""

import json
import os
import signal
import socket
import sys
import threading
import time

from dvfl_tf.core.errors import StopSignal, UserError

PEER_TIMEOUT_S = 300.0  # the default of `--peer-timeout`
PROGRESS_EVERY_S = 10.0
GRACE_S = 5.0  # after a signal, how long the main thread has to stop by itself


class ClusterError(UserError, ValueError):
    """TF_CONFIG that cannot describe this run, or peers that did not come."""


def read_tf_config(environ=None):
    """The checked TF_CONFIG: `(workers, index)`, every task address in cluster order and this task's position.

    Raises `ClusterError` (naming TF_CONFIG) when it is missing, is not JSON, or
    does not give this task a valid place in a cluster of "host:port" addresses.
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "")
    if not text.strip():
        raise ClusterError(
            "--strategy multi_worker needs TF_CONFIG (the cluster's addresses and this worker's task); it is not "
            "set. On one machine, use --strategy auto or mirrored."
        )
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ClusterError(f"TF_CONFIG: not valid JSON ({error}).") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict):
        raise ClusterError(
            'TF_CONFIG: needs a "cluster" object, e.g. {"cluster": {"worker": ["host:port", ...]}, ...}.'
        )
    task = config.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ClusterError(
            'TF_CONFIG: needs a "task" object with "type" and "index", e.g. {"type": "worker", "index": 0}.'
        )
    cluster = config["cluster"]
    kind, index = task["type"], task["index"]
    if kind not in ("chief", "worker") or kind not in cluster:
        raise ClusterError(
            f'TF_CONFIG: task type {kind!r} is not a job of "cluster" ({", ".join(map(str, cluster)) or "none"}); '
            'multi-worker training uses "chief" and "worker".'
        )
    addresses = {}
    for job in ("chief", "worker"):
        entries = cluster.get(job, [])
        if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
            raise ClusterError(f'TF_CONFIG: cluster "{job}" must be a list of "host:port" strings.')
        for position, address in enumerate(entries):
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ClusterError(f'TF_CONFIG: {job} {position} address {address!r} is not "host:port".')
            if address in addresses.values():
                raise ClusterError(f"TF_CONFIG: address {address} is listed twice.")
            addresses[(job, position)] = address
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[kind]):
        raise ClusterError(
            f"TF_CONFIG: task index {index!r} is outside the {len(cluster[kind])} {kind} address(es) "
            f"(0..{len(cluster[kind]) - 1})."
        )
    return addresses, (kind, index)


def _label(task, address):
    return f"{task[0]} {task[1]} ({address})"


def _answers(address):
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
            return True
    except OSError:
        return False


def _hold_port(task, address):
    """A listening socket on this worker's port (never accepting: closing it leaves no TIME_WAIT)."""
    port = int(address.rpartition(":")[2])
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("", port))
        holder.listen(64)
    except OSError as error:
        holder.close()
        raise ClusterError(
            f"TF_CONFIG: this worker's address {_label(task, address)} cannot be used: port {port} "
            f"({error.strerror or error})."
        ) from None
    return holder


def wait_for_peers(timeout=PEER_TIMEOUT_S, environ=None, out=None):
    """Checks TF_CONFIG, then waits at most `timeout` seconds until every other task's port answers.

    Returns the number of tasks. Raises `ClusterError` naming the tasks still
    missing at the deadline; `StopSignal` on SIGTERM/SIGINT (see
    `stop_promptly_on_signals`, which this installs when called from the main thread).
    """
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"`timeout` must be a positive number of seconds. Received: timeout={timeout!r}")
    addresses, me = read_tf_config(environ)
    out = out or sys.stdout
    stop_promptly_on_signals()
    missing = {task: address for task, address in addresses.items() if task != me}
    if not missing:
        return len(addresses)
    holder = _hold_port(me, addresses[me])
    try:
        start = time.monotonic()
        next_progress = start + PROGRESS_EVERY_S
        while True:
            for task in [task for task, address in missing.items() if _answers(address)]:
                del missing[task]
            if not missing:
                return len(addresses)
            now = time.monotonic()
            names = ", ".join(_label(task, address) for task, address in missing.items())
            if now - start >= timeout:
                raise ClusterError(
                    f"--peer-timeout {timeout:g}: {names} of TF_CONFIG did not answer within {timeout:g} s; start "
                    "it (the same command, its own TF_CONFIG task) or correct its address."
                )
            if now >= next_progress:
                print(f"Waiting for {names} of TF_CONFIG: {now - start:.0f} s of {timeout:g} s.", file=out, flush=True)
                next_progress += PROGRESS_EVERY_S
            time.sleep(min(0.5, max(0.0, start + timeout - time.monotonic())))
    finally:
        holder.close()


_WATCHDOG = {}
_READY = set()  # TF_CONFIG texts whose peers answered in this process


def prepare_multi_worker(timeout=PEER_TIMEOUT_S):
    """`wait_for_peers` once per TF_CONFIG in this process (the CLI waits with --peer-timeout, the job again)."""
    text = os.environ.get("TF_CONFIG", "")
    if text not in _READY:
        wait_for_peers(timeout)
        _READY.add(text)


def stop_promptly_on_signals(grace=GRACE_S):
    """SIGTERM and SIGINT end this process within `grace` seconds (plus a little), whatever the main thread does.

    The signal raises `StopSignal` in the main thread where Python runs; if the
    main thread is held in native code (TensorFlow waiting for a peer), a watchdog
    thread, woken through `signal.set_wakeup_fd`, prints one line and ends the
    process after `grace` seconds. Call it again after TensorFlow has installed
    its own SIGTERM handler (creating the multi-worker strategy does), to take
    SIGTERM back. Only from the main thread; elsewhere it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if "thread" not in _WATCHDOG:
        reader, writer = socket.socketpair()
        reader.setblocking(True)
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        thread = threading.Thread(target=_watch, args=(reader, grace), name="dvfl-tf-stop-watchdog", daemon=True)
        thread.start()
        _WATCHDOG.update(thread=thread, sockets=(reader, writer))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise_stop)


def _stop_message(signum):
    return (
        f"stopped by {signal.Signals(signum).name}; the run folder (if any) resumes when the same command is run again."
    )


def _raise_stop(signum, frame):
    raise StopSignal(_stop_message(signum))


def _watch(reader, grace):
    while True:
        data = reader.recv(1)
        if not data:
            return
        signum = data[0]
        if signum not in (signal.SIGTERM, signal.SIGINT):
            continue
        time.sleep(grace)  # the main thread stops by itself where Python runs; a daemon thread dies with it
        try:
            os.write(2, f"Error: {_stop_message(signum)}\n".encode())
        finally:
            os._exit(128 + signum)
