"""Writes that never destroy: output checks before the long work, and atomic replacement.

Every file the CLI writes goes through `check_output` first (before loading
models or converting anything), and model/state files are written through
`atomic_path` / `atomic_write_*` so that a kill during a save leaves the
previous file whole. Folders the CLI fills go through `check_output_dir`.
No TensorFlow import here: every layer of the package may use it.
"""

import contextlib
import json
import os
import tempfile

from dvfl_tf.core.errors import UserError


class OutputError(UserError, ValueError):
    """An output path that must not or cannot be written (the message says which and why)."""


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _nearest_existing_dir(path):
    directory = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


def check_writable_dir(directory, shown=None):
    """Raises `OutputError` unless a file can be created in `directory` (or in its nearest existing parent).

    Probes with a real temporary file, which is what counts on read-only
    mounts, for root, and on network file systems where permission bits lie.
    """
    shown = shown or directory
    existing = directory
    while not os.path.exists(existing):
        parent = os.path.dirname(os.path.abspath(existing))
        if parent == os.path.abspath(existing):
            break
        existing = parent
    if not os.path.isdir(existing):
        raise OutputError(f"{shown}: cannot write there, {existing} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".dvfl-write-test-"):
            pass
    except OSError as error:
        raise OutputError(f"{shown}: cannot write to folder {existing} ({error.strerror or error})") from error


def check_output(path, *, overwrite=False, inputs=(), suffixes=(), option="--output"):
    """Checks that `path` may be written, before any long work; returns it unchanged.

    - `suffixes`: the extensions the written format has (e.g. (".tflite",)); any other is refused;
    - `inputs`: files the command reads; writing over one of them is refused even with `overwrite`;
    - an existing file is refused unless `overwrite`; a folder is always refused;
    - the destination folder (or its nearest existing parent) must accept a new file.
    """
    path = os.fspath(path)
    if suffixes and not path.lower().endswith(tuple(s.lower() for s in suffixes)):
        raise OutputError(f"{option} {path}: the file written is {' or '.join(suffixes)}; name it so")
    for source in inputs:
        if source is not None and os.path.exists(source) and os.path.exists(path) and _same_file(source, path):
            raise OutputError(f"{option} {path}: that is the input {os.fspath(source)}; refusing to write over it")
    if os.path.isdir(path):
        raise OutputError(f"{option} {path}: is a folder, expected a file name")
    if os.path.lexists(path) and not overwrite:
        raise OutputError(f"{option} {path}: exists; pass --overwrite to replace it")
    check_writable_dir(os.path.dirname(os.path.abspath(path)), shown=f"{option} {path}")
    return path


def check_output_dir(path, *, marker=None, overwrite=False, option="--output", inputs=()):
    """Checks a folder the command fills: empty, absent, or holding `marker` (a file it wrote before).

    A non-empty folder without the marker belongs to someone else and is
    refused (even with `overwrite`: the CLI only ever deletes what it created).
    Returns the path.
    """
    path = os.fspath(path)
    for source in inputs:
        if source is not None and os.path.exists(source) and os.path.exists(path) and _same_file(source, path):
            raise OutputError(f"{option} {path}: that is the input {os.fspath(source)}; choose another folder")
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputError(f"{option} {path}: is a file, expected a folder")
    if os.path.isdir(path) and os.listdir(path):
        if marker is None or not os.path.exists(os.path.join(path, marker)):
            what = f"no {marker}" if marker else "not empty"
            raise OutputError(
                f"{option} {path}: folder exists and was not written by dvfl-tf ({what}); choose another folder"
            )
    check_writable_dir(path, shown=f"{option} {path}")
    return path


def _temporary_name(path):
    directory, name = os.path.split(os.path.abspath(path))
    stem, suffix = os.path.splitext(name)
    # Same folder (so the rename is atomic) and same suffix (Keras checks `.keras`).
    return os.path.join(directory, f".{stem}.tmp-{os.getpid()}{suffix}")


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; when the block succeeds it replaces `path` in one rename.

    A kill or an error inside the block leaves `path` as it was (the
    temporary file is removed on error).
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = _temporary_name(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def atomic_write_bytes(path, data):
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return path


def atomic_write_text(path, text):
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, data, **dump_kwargs):
    return atomic_write_text(path, json.dumps(data, **{"indent": 2, **dump_kwargs}))
