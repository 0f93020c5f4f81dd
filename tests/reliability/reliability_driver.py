"""Runs many `dvfl-tf` command lines in ONE process (TensorFlow is imported once), each as the shell would.

Usage: python reliability_driver.py WORKSPACE CASES.json RESULTS.json

Each case runs in a fresh copy of WORKSPACE as its working directory, through
the real entry point (`dvfl_tf.cli.main` in standalone mode: click's error
printing and exit codes), with stdout and stderr captured, Python's and the
native libraries' (file descriptors 1 and 2) alike. An exception that
escapes is printed as the interpreter would ("Traceback ..."), so the tests
see exactly what a user would. Files a case names in `unchanged` are hashed
before and after; a case's `env` variables are set for it alone.
"""

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import traceback
import warnings


def _digest(path):
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _listing(path):
    if not os.path.isdir(path):
        return None
    return sorted(os.listdir(path))


def _redirect_fds(files):
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    os.dup2(files[0].fileno(), 1)
    os.dup2(files[1].fileno(), 2)
    return saved


def _restore_fds(saved):
    for fd, copy in zip((1, 2), saved):
        os.dup2(copy, fd)
        os.close(copy)


def _read(file):
    file.seek(0)
    text = file.read().decode("utf-8", "replace")
    file.close()
    return text


def _set_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def run_case(main, flags, workspace, case):
    folder = tempfile.mkdtemp(prefix=f"case-{case['id']}-")
    shutil.rmtree(folder)
    shutil.copytree(workspace, folder, symlinks=True)
    before = {name: _digest(os.path.join(folder, name)) for name in case.get("unchanged", [])}
    folders_before = {name: _listing(os.path.join(folder, name)) for name in case.get("unchanged_dirs", [])}
    out, err = io.StringIO(), io.StringIO()
    native = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]  # what native code writes on fds 1 and 2
    previous = os.getcwd()
    saved_env = {name: os.environ.get(name) for name, _ in case.get("env", [])}
    for name, value in case.get("env", []):
        _set_env(name, value)
    os.chdir(folder)
    flags.update(debug=False, verbose=False)
    code = 0
    saved_fds = _redirect_fds(native)
    try:
        # catch_warnings: each case starts with this process's filters, and warnings already shown show again.
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main.main(args=list(case["argv"]), prog_name="dvfl-tf", standalone_mode=True)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except BaseException:  # what the interpreter would print for an uncaught exception
                traceback.print_exc()
                code = 1
    finally:
        _restore_fds(saved_fds)
        os.chdir(previous)
        for name, value in saved_env.items():
            _set_env(name, value)
    result = {
        "id": case["id"],
        "exit_code": code,
        "stdout": out.getvalue() + _read(native[0]),
        "stderr": err.getvalue() + _read(native[1]),
        "changed": [name for name, digest in before.items() if _digest(os.path.join(folder, name)) != digest],
        "changed_dirs": [
            name for name, listing in folders_before.items() if _listing(os.path.join(folder, name)) != listing
        ],
        "created": [name for name in case.get("absent", []) if os.path.exists(os.path.join(folder, name))],
    }
    shutil.rmtree(folder, ignore_errors=True)
    return result


def main_(argv):
    workspace, cases_path, results_path = argv
    with open(cases_path) as f:
        cases = json.load(f)
    from dvfl_tf.cli import FLAGS, main

    results = [run_case(main, FLAGS, os.path.abspath(workspace), case) for case in cases]
    with open(results_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main_(sys.argv[1:])
