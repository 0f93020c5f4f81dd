"""Android benchmarks: TFLite's `benchmark_model` run over adb, parsed into `BenchmarkRecord`s.

The official binary (built per tensorflow/lite/tools/benchmark/README.md, or
the nightly prebuilt `android_aarch64_benchmark_model`) and the model are
pushed to /data/local/tmp; `taskset MASK` pins the run to chosen (big) cores.
"""

import os
import shlex
import shutil
import subprocess
import time

from dvfl_tf.latency.benchmark_model_output import parse_benchmark_model_output
from dvfl_tf.latency.records import BenchmarkError, BenchmarkRecord

DEVICE_DIR = "/data/local/tmp"
# The official benchmark APK (tensorflow/lite/tools/benchmark/android): runs benchmark_model
# in a foreground Activity, which some phones schedule more faithfully; it logs to logcat.
APK_ACTIVITY = "org.tensorflow.lite.benchmark/.BenchmarkModelActivity"
APK_LOG_TAG = "tflite"
# delegate name -> benchmark_model flags
ANDROID_DELEGATES = {
    "xnnpack": ["--use_xnnpack=true"],
    "builtin": ["--use_xnnpack=false"],
    "gpu": ["--use_gpu=true"],
    "nnapi": ["--use_nnapi=true"],
}


class Adb:
    """adb for one device; clear errors when adb or the device is missing."""

    def __init__(self, serial=None, adb="adb"):
        self.executable = shutil.which(adb)
        if self.executable is None:
            raise BenchmarkError(
                f"`{adb}` not found on PATH. Install Android platform-tools "
                "(https://developer.android.com/tools/releases/platform-tools) or pass --adb PATH."
            )
        self.serial = serial or self._only_device()

    def _run(self, args, check=True, serial=True):
        command = [self.executable] + (["-s", self.serial] if serial else []) + list(args)
        completed = subprocess.run(command, capture_output=True, text=True)
        if check and completed.returncode != 0:
            raise BenchmarkError(f"`{' '.join(command)}` failed:\n{(completed.stderr or completed.stdout)[-2000:]}")
        return completed.stdout

    def devices(self):
        """Serials of attached devices in the "device" state (not offline/unauthorized)."""
        out = self._run(["devices"], serial=False)
        lines = [line.split() for line in out.splitlines()[1:] if line.strip()]
        return {fields[0]: fields[1] for fields in lines if len(fields) >= 2}

    def _only_device(self):
        devices = self.devices()
        ready = [serial for serial, state in devices.items() if state == "device"]
        if not ready:
            states = ", ".join(f"{s} ({state})" for s, state in devices.items()) or "none"
            raise BenchmarkError(
                f"No Android device ready over adb (attached: {states}). Connect one with USB debugging "
                "enabled and accept the authorisation prompt."
            )
        if len(ready) > 1:
            raise BenchmarkError(f"Several Android devices attached ({', '.join(ready)}); choose one with --serial.")
        return ready[0]

    def shell(self, command, check=True):
        return self._run(["shell", command], check=check)

    def push(self, local, remote):
        if not os.path.isfile(local):
            raise BenchmarkError(f"No such file to push: {local}")
        self._run(["push", local, remote])

    def getprop(self, name):
        return self.shell(f"getprop {name}").strip()


def describe_device(adb):
    """e.g. "Pixel 7 (SoC gs201, Android 14)"."""
    model = adb.getprop("ro.product.model") or adb.serial
    soc = adb.getprop("ro.soc.model") or adb.getprop("ro.board.platform") or adb.getprop("ro.hardware")
    release = adb.getprop("ro.build.version.release")
    return f"{model} (SoC {soc or 'unknown'}, Android {release or 'unknown'})"


def benchmark_model_command(binary, graph, threads, delegate, runs, warmup, taskset=None, peak_memory=True):
    """The device-side shell command line."""
    if delegate not in ANDROID_DELEGATES:
        raise ValueError(f"`delegate` must be one of {sorted(ANDROID_DELEGATES)}. Received: delegate={delegate!r}")
    args = [
        binary,
        f"--graph={graph}",
        f"--num_threads={int(threads)}",
        f"--num_runs={int(runs)}",
        f"--warmup_runs={int(warmup)}",
        *ANDROID_DELEGATES[delegate],
    ]
    if peak_memory:
        args.append("--report_peak_memory_footprint=true")
    if taskset:
        args = ["taskset", str(taskset)] + args
    return " ".join(args)


def apk_start_command(benchmark_args):
    """`am start` line running the benchmark APK with benchmark_model's flags (a quoted string extra)."""
    return f"am start -S -n {APK_ACTIVITY} --es args {shlex.quote(benchmark_args)}"


def _run_apk(device, benchmark_args, timeout_s):
    """Starts the APK's activity and waits for its report in logcat."""
    device._run(["logcat", "-c"])
    device.shell(apk_start_command(benchmark_args))
    deadline = time.monotonic() + timeout_s
    while True:
        log = device._run(["logcat", "-d", "-s", f"{APK_LOG_TAG}:I"], check=False)
        if "Inference timings in us" in log or time.monotonic() > deadline:
            return log
        time.sleep(2.0)


def record_from_output(text, model, device, threads, delegate):
    figures = parse_benchmark_model_output(text)
    return BenchmarkRecord(
        model=model,
        target="android",
        device=device,
        threads=int(threads),
        delegate=delegate,
        init_ms=figures["init_ms"],
        first_ms=figures["first_ms"],
        mean_ms=figures["mean_ms"],
        median_ms=None,
        p90_ms=None,
        min_ms=figures["min_ms"] if figures["min_ms"] is not None else figures["mean_ms"],
        std_ms=figures["std_ms"] if figures["std_ms"] is not None else 0.0,
        peak_memory_mb=figures["peak_memory_mb"] or figures["overall_memory_mb"],
        runs=figures["runs"] or 0,
    )


def benchmark_android(
    model_paths,
    benchmark_binary,
    threads=(1,),
    delegates=("xnnpack",),
    runs=50,
    warmup=5,
    serial=None,
    taskset=None,
    adb="adb",
    benchmark_apk=None,
    apk_timeout_s=600,
):
    """Records for every (model, threads, delegate) on one Android device.

    Runs the native `benchmark_binary` over `adb shell`, or, with
    `benchmark_apk`, installs the official benchmark APK and reads its report
    from logcat (`taskset` does not apply to the APK).
    """
    if benchmark_apk:
        if not os.path.isfile(benchmark_apk):
            raise BenchmarkError(f"No such benchmark APK: {benchmark_apk}")
    elif not benchmark_binary or not os.path.isfile(benchmark_binary):
        raise BenchmarkError(
            "--benchmark-binary must point to TFLite's benchmark_model for Android (e.g. the nightly "
            "`android_aarch64_benchmark_model`), or --benchmark-apk to its APK "
            f"(`android_aarch64_benchmark_model.apk`). Received: {benchmark_binary!r}"
        )
    for path in model_paths:
        if not os.path.isfile(path):
            raise BenchmarkError(f"No such model file: {path}")
    device = Adb(serial=serial, adb=adb)
    name = describe_device(device)
    remote_binary = f"{DEVICE_DIR}/benchmark_model"
    if benchmark_apk:
        device._run(["install", "-r", "-d", "-g", benchmark_apk])
    else:
        device.push(benchmark_binary, remote_binary)
        device.shell(f"chmod +x {remote_binary}")
    records = []
    for path in model_paths:
        remote_model = f"{DEVICE_DIR}/{os.path.basename(path)}"
        device.push(path, remote_model)
        for delegate in delegates:
            for count in threads:
                if benchmark_apk:
                    flags = benchmark_model_command("", remote_model, count, delegate, runs, warmup).strip()
                    output = _run_apk(device, flags, apk_timeout_s)
                else:
                    command = benchmark_model_command(
                        remote_binary, remote_model, count, delegate, runs, warmup, taskset
                    )
                    output = device.shell(command + " 2>&1", check=False)
                records.append(record_from_output(output, os.path.basename(path), name, count, delegate))
    return records
