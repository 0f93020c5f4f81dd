"""The files the bad-input cases run on: real tiny models written by the project, and broken copies.

`build_workspace(folder)` writes them once per test session; each case then
runs in its own copy (see reliability_driver.py), so no case sees another's
leftovers.
"""

import json
import os
import zipfile

import numpy as np

CLASS_NAMES = ["walk", "run", "jump"]
# One stage, one block, 2 frames of 16x16: every layer type, converted in a few seconds.
MINI = {"embed_dim": 8, "depths": [1], "focal_levels": [2], "focal_windows": [3], "image_size": 16, "num_frames": 2}


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _models(folder):
    import keras

    from dvfl_tf.export import export_tflite
    from dvfl_tf.export.stream_exporter import export_stream_tflite
    from tests.model_testing import tiny_classifier

    keras.utils.set_random_seed(0)
    model = tiny_classifier(num_classes=len(CLASS_NAMES), **MINI)
    model.set_class_names(CLASS_NAMES)
    model.save(os.path.join(folder, "model.keras"))
    export_tflite(model, os.path.join(folder, "model.tflite"), mode="float32")

    # A causal twin (it streams frame by frame) and its stream file: the class names travel with them.
    keras.utils.set_random_seed(0)
    causal = tiny_classifier(num_classes=len(CLASS_NAMES), **MINI, causal=True)
    causal.set_class_names(CLASS_NAMES)
    causal.save(os.path.join(folder, "causal.keras"))
    export_stream_tflite(causal, os.path.join(folder, "stream.tflite"), mode="float32")
    stream_bytes = open(os.path.join(folder, "stream.tflite"), "rb").read()
    _write(os.path.join(folder, "truncated_stream.tflite"), stream_bytes[: len(stream_bytes) // 2])

    # Two classes, as the workspace's dataset: the common paths of evaluate and cache-teacher run on it.
    keras.utils.set_random_seed(1)
    two = tiny_classifier(num_classes=2, **MINI)
    two.save(os.path.join(folder, "model2.keras"))

    keras_bytes = open(os.path.join(folder, "model.keras"), "rb").read()
    tflite_bytes = open(os.path.join(folder, "model.tflite"), "rb").read()
    rng = np.random.default_rng(0)
    _write(os.path.join(folder, "truncated.keras"), keras_bytes[: len(keras_bytes) // 2])
    _write(os.path.join(folder, "random.keras"), rng.bytes(4096))
    _write(os.path.join(folder, "empty.keras"), b"")
    _write(os.path.join(folder, "existing.tflite"), tflite_bytes)
    _write(os.path.join(folder, "truncated.tflite"), tflite_bytes[: len(tflite_bytes) // 2])
    _write(os.path.join(folder, "random.tflite"), rng.bytes(4096))
    with zipfile.ZipFile(os.path.join(folder, "notkeras.keras"), "w") as archive:
        archive.writestr("readme.txt", "a zip archive, but no Keras model\n")
    # A whole archive whose weights file is garbage: the zip checks pass, Keras fails.
    with (
        zipfile.ZipFile(os.path.join(folder, "model.keras")) as source,
        zipfile.ZipFile(os.path.join(folder, "badweights.keras"), "w") as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, rng.bytes(len(data)) if name.endswith(".h5") else data)


def _checkpoints(folder):
    import argparse

    import torch

    rng = np.random.default_rng(1)
    state = {"head.weight": torch.zeros(3, 8), "head.bias": torch.zeros(3)}
    torch.save({"model": state}, os.path.join(folder, "good.pth"))
    # Official training scripts also pickle their argparse.Namespace: loading it runs code.
    torch.save({"model": state, "args": argparse.Namespace(lr=0.1)}, os.path.join(folder, "needs_code.pth"))
    good = open(os.path.join(folder, "good.pth"), "rb").read()
    _write(os.path.join(folder, "truncated.pth"), good[: len(good) // 2])
    _write(os.path.join(folder, "random.pth"), rng.bytes(4096))
    from safetensors.numpy import save_file

    save_file({name: value.numpy() for name, value in state.items()}, os.path.join(folder, "good.safetensors"))
    tensors = open(os.path.join(folder, "good.safetensors"), "rb").read()
    _write(os.path.join(folder, "truncated.safetensors"), tensors[:-20])
    _write(os.path.join(folder, "random.safetensors"), rng.bytes(4096))
    # Checkpoints of other architectures: a ResNet-like .pth, a ViT-like .safetensors.
    resnet = {"conv1.weight": torch.zeros(4, 3, 3, 3), "fc.weight": torch.zeros(3, 4), "fc.bias": torch.zeros(3)}
    torch.save({"state_dict": resnet}, os.path.join(folder, "resnet.pth"))
    vit = {"patch_embed.proj.weight": np.zeros((8, 3, 4, 4), np.float32), "head.weight": np.zeros((3, 8), np.float32)}
    save_file(vit, os.path.join(folder, "vit.safetensors"))
    with zipfile.ZipFile(os.path.join(folder, "nopickle.pth"), "w") as archive:
        archive.writestr("weights.txt", "not a torch archive\n")


def _labels(folder):
    with open(os.path.join(folder, "labels.txt"), "w") as f:
        f.write("walk\nrun\n")  # two names for a three-class model
    with open(os.path.join(folder, "labels.json"), "w") as f:
        json.dump(CLASS_NAMES, f)
    with open(os.path.join(folder, "badjson.json"), "w") as f:
        f.write('["walk", "run",')
    with open(os.path.join(folder, "empty_labels.txt"), "w") as f:
        f.write("\n\n")
    _write(os.path.join(folder, "binary.txt"), bytes(range(256)))


def _videos_and_folders(folder):
    from dvfl_tf.data import ensure_synthetic
    from dvfl_tf.data.video_io import write_video

    rng = np.random.default_rng(2)
    write_video(os.path.join(folder, "clip.avi"), rng.integers(0, 255, (8, 24, 24, 3), dtype=np.uint8))
    _write(os.path.join(folder, "corrupt.avi"), rng.bytes(2048))
    write_video(os.path.join(folder, "short.avi"), rng.integers(0, 255, (1, 24, 24, 3), dtype=np.uint8))
    import cv2

    cv2.imwrite(os.path.join(folder, "frame.jpg"), rng.integers(0, 255, (24, 24, 3), dtype=np.uint8))
    ensure_synthetic(
        os.path.join(folder, "data"),
        num_classes=2,
        train_per_class=2,
        test_per_class=1,
        unused_per_class=0,
        image_size=32,
        num_frames=4,
    )
    os.makedirs(os.path.join(folder, "foreign"))
    with open(os.path.join(folder, "foreign", "thesis.txt"), "w") as f:
        f.write("someone's work\n")
    os.makedirs(os.path.join(folder, "folder.tflite"))
    with open(os.path.join(folder, "orphan.tflite.json"), "w") as f:  # the user's file, named like a sidecar
        json.dump({"notes": "mine"}, f)
    os.makedirs(os.path.join(folder, "eval"))
    with open(os.path.join(folder, "eval", "evaluation.json"), "w") as f:
        json.dump({"top1": 0.5}, f)
    with open(os.path.join(folder, "existing.csv"), "w") as f:
        f.write("model,median_ms\n")
    _write(os.path.join(folder, "existing.npz"), b"PK")
    _write(os.path.join(folder, "random.npz"), rng.bytes(1024))
    np.savez(os.path.join(folder, "other.npz"), weights=np.zeros(3))


def build_workspace(folder):
    """Writes every input file of the cases into `folder`; returns it."""
    os.makedirs(folder, exist_ok=True)
    _models(folder)
    _checkpoints(folder)
    _labels(folder)
    _videos_and_folders(folder)
    return folder
