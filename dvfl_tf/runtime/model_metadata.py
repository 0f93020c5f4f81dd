"""Class names and input conventions carried inside a `.tflite` file.

They are stored as a JSON document in the model's metadata table under the
name `dvfl_tf`, so one file is enough to run and label predictions. A sidecar
JSON (`MODEL.tflite.json`) with the same content is written next to exported
files for tools that cannot read flatbuffer metadata.
"""

import json
import os

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.tflite_file import read_metadata_buffers, with_metadata_buffer

METADATA_NAME = "dvfl_tf"


def sidecar_path(model_path):
    return f"{model_path}.json"


def embed_metadata(model_bytes, metadata):
    """`model_bytes` with `metadata` (a JSON-serialisable dict) stored under `dvfl_tf`.

    An existing `dvfl_tf` entry is replaced.
    """
    payload = json.dumps(metadata, sort_keys=True).encode("utf-8")
    return with_metadata_buffer(model_bytes, METADATA_NAME, payload)


def read_metadata(model_bytes):
    """The `dvfl_tf` metadata dict of a model, or None when it has none."""
    payload = read_metadata_buffers(model_bytes).get(METADATA_NAME)
    return None if payload is None else json.loads(payload.decode("utf-8"))


def load_metadata(model_path):
    """Metadata of the model file at `model_path`: embedded first, else the sidecar JSON, else {}."""
    try:
        with open(model_path, "rb") as f:
            embedded = read_metadata(f.read())
    except ImportError:
        # tflite-runtime ships no flatbuffer schema: the sidecar JSON still works.
        embedded = None
    if embedded is not None:
        return embedded
    sidecar = sidecar_path(model_path)
    if os.path.exists(sidecar):
        with open(sidecar) as f:
            return json.load(f)
    return {}


class LabelsError(UserError, ValueError):
    """A labels file that cannot be read as class names."""


def load_labels(path):
    """Class names from a labels file: JSON (a list, or a dict with `class_names`) or one name per line."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LabelsError(f"{path}: not a labels file (binary, not UTF-8 text)") from None
    if "\x00" in text:
        raise LabelsError(f"{path}: not a labels file (binary, not UTF-8 text)")
    if path.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise LabelsError(f"{path}: not valid JSON ({error})") from None
        names = document.get("class_names") if isinstance(document, dict) else document
        if not isinstance(names, list) or not all(isinstance(n, (str, int)) for n in names):
            raise LabelsError(f"{path}: expected a JSON list of class names or a dict with 'class_names'")
        names = [str(n) for n in names]
    else:
        names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise LabelsError(f"{path}: no class names in the file")
    return names
