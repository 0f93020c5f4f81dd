"""Quick checks that a model file is what its name says, before a library reads it.

Keras reports a truncated `.keras` file as "File not found" and LiteRT a
corrupt `.tflite` with a C++ message; these checks name the file and what is
wrong in one line (`ModelFileError`). They read a few bytes or the zip
directory only, and import neither TensorFlow nor LiteRT.
"""

import os
import zipfile

from dvfl_tf.core.errors import MissingModelFileError, ModelFileError

TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier, bytes 4..8 of every .tflite file


def check_exists(path, what="model file"):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MissingModelFileError(f"{path}: no such {what}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a folder, expected a {what}")
    if os.path.getsize(path) == 0:
        raise ModelFileError(f"{path}: the {what} is empty (0 bytes)")
    return path


def check_keras_file(path):
    """Raises `ModelFileError` unless `path` is a whole `.keras` archive (zip with config.json and weights)."""
    path = check_exists(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if head[4:8] == TFLITE_IDENTIFIER:
        raise ModelFileError(f"{path}: a .tflite model, not a .keras model; give the .keras model it was exported from")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a .keras model (not a zip archive: truncated or corrupt)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelFileError(f"{path}: not a .keras model (damaged zip archive: {error})") from error
    if "config.json" not in names:
        raise ModelFileError(f"{path}: not a .keras model (the archive has no config.json)")
    if broken is not None:
        raise ModelFileError(f"{path}: damaged .keras model ({broken} fails its checksum)")
    return path


def check_tflite_file(path):
    """Raises `ModelFileError` unless `path` starts like a TFLite flatbuffer."""
    path = check_exists(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[4:8] != TFLITE_IDENTIFIER:
        raise ModelFileError(f"{path}: not a .tflite model (no TFL3 flatbuffer identifier)")
    return path
