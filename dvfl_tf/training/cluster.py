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

SIGTERM and SIGINT end a run within seconds at any time: the CLI runs a
multi-worker `train`/`distill` in a child process (`run_supervised`) that it
stops on a signal, and inside the run `stop_promptly_on_signals` raises
`StopSignal` wherever Python runs. Run folders are written by temp-and-rename, so a stopped run
resumes when the same command is run again. No TensorFlow import here.
"""

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from dvfl_tf.core.checks import positive
from dvfl_tf.core.errors import StopSignal, UserError

PEER_TIMEOUT_S = 300.0  # the default of `--peer-timeout`
PEER_TIMEOUT = positive()  # the allowed values of `prepare_multi_worker`'s timeout (and --peer-timeout)
PROGRESS_EVERY_S = 10.0
GRACE_S = 5.0  # after a signal, how long a run has to stop by itself


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


_READY = set()  # TF_CONFIG texts whose peers answered in this process


def prepare_multi_worker(timeout=PEER_TIMEOUT_S):
    """`wait_for_peers` once per TF_CONFIG in this process (the CLI waits with --peer-timeout, the job again)."""
    PEER_TIMEOUT.check("timeout", timeout)
    text = os.environ.get("TF_CONFIG", "")
    if text not in _READY:
        wait_for_peers(timeout)
        _READY.add(text)


def stop_promptly_on_signals():
    """SIGTERM and SIGINT raise `StopSignal` in the main thread (the CLI prints it as one line).

    That works where Python runs (the peer wait, the training loop between
    steps). TensorFlow replaces the SIGTERM handler when it creates the
    multi-worker strategy and then waits inside C++ holding the GIL, where no
    handler or thread of this process can run: `run_supervised` covers that.
    Call it again after the strategy exists. Only from the main thread.
    """
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _raise_stop)


def _stop_message(signum):
    return (
        f"stopped by {signal.Signals(signum).name}; the run folder (if any) resumes when the same command is run again."
    )


def _raise_stop(signum, frame):
    if _STOPPING:  # one stop: a second signal during the clean-up is not raised again
        return
    _STOPPING.append(signum)
    raise StopSignal(_stop_message(signum))


_STOPPING = []


def _die_with_parent():
    """In the child, before exec: SIGKILL when this process dies (a SIGKILLed supervisor leaves no orphan run)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG


SUPERVISED_ENV = "DVFL_TF_SUPERVISED"  # set in the run that `run_supervised` starts


def run_supervised(command, grace=GRACE_S):
    """Runs `python -m dvfl_tf *command` in a child process and returns its exit status; stops it on a signal.

    A multi-worker run is held inside TensorFlow's C++ while it connects to its
    peers, where SIGTERM and SIGINT do nothing. This process imports no
    TensorFlow and stays responsive: it passes SIGTERM or SIGINT on to the run
    (which stops by itself wherever Python runs, printing one line), and if the
    run has not ended `grace` seconds later, it kills it and prints the line
    itself. The run folder, written by temp-and-rename, resumes when the same
    command is run again.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "dvfl_tf", *command],
        env={**os.environ, SUPERVISED_ENV: "1"},
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    received = []

    def forward(signum, frame):
        if not received:
            received.append((signum, time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if received and time.monotonic() - received[0][1] > grace:
                    child.kill()
                    child.wait()
                    print(f"Error: {_stop_message(received[0][0])}", file=sys.stderr, flush=True)
                    return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received and code < 0:  # the signal ended the run before its handlers were installed: no line yet
        print(f"Error: {_stop_message(received[0][0])}", file=sys.stderr, flush=True)
        return 1
    return code if code >= 0 else 128 - code
