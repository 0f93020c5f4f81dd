"""The int8 export is a pure function of the float model and the calibration data.

The quickstart's "same figures on every run" (issue 12, item 9) needs the int8
file to come out bit-identical from the same `.keras` file in two separate
processes (calibration clips drawn from real OpenCV-written videos, the
converter's calibration run and quantizer), not only equally accurate.
"""

import os
import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture
def folder_dataset(make_folder_dataset):
    return make_folder_dataset({"train": 3, "test": 1})


def _export_int8(model_path, data_root, output):
    """`dvfl-tf export-tflite --int8` in its own process, calibrated on the folder dataset's train split."""
    command = [
        sys.executable,
        "-m",
        "dvfl_tf",
        "export-tflite",
        str(model_path),
        "--int8",
        "--calibration-dataset",
        "folder",
        "--data-root",
        str(data_root),
        "--num-calibration",
        "6",
        "--num-verify",
        "3",
        "-o",
        str(output),
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


def _tensors(path):
    """{tensor name: (dtype, shape, scales, zero points, constant values or None)} of a .tflite file.

    The interpreter adds scratch tensors of its own (indices past the file's); they are compared too.
    """
    from dvfl_tf.export.tflite_graph import inspect_graph
    from dvfl_tf.runtime.interpreter import make_interpreter

    constant = {t["index"]: t["constant"] for t in inspect_graph(path.read_bytes())["tensors"]}
    interpreter = make_interpreter(model_path=str(path), use_default_delegates=False)
    tensors = {}
    for detail in interpreter.get_tensor_details():
        quantization = detail["quantization_parameters"]
        # Weights and biases; activations hold no data before an invoke.
        value = np.array(interpreter.get_tensor(detail["index"])) if constant.get(detail["index"]) else None
        tensors[detail["name"]] = (
            np.dtype(detail["dtype"]).name,
            tuple(detail["shape"]),
            quantization["scales"],
            quantization["zero_points"],
            value,
        )
    return tensors


def _int8_logits(path, clip):
    from dvfl_tf.runtime.interpreter import make_interpreter, quantize_to

    interpreter = make_interpreter(model_path=str(path))
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(source["index"], quantize_to(clip, source))
    interpreter.invoke()
    return interpreter.get_tensor(target["index"]).copy()


def test_int8_export_of_one_model_is_identical_in_two_processes(tmp_path, folder_dataset, mini_classifier):
    model_path = tmp_path / "mini.keras"
    mini_classifier.save(model_path)
    outputs = [tmp_path / "first.tflite", tmp_path / "second.tflite"]
    # Side by side: two processes competing for the cores, as two quickstart runs on one machine.
    processes = [_export_int8(model_path, folder_dataset, output) for output in outputs]
    for process in processes:
        log, _ = process.communicate(timeout=600)
        assert process.returncode == 0, log

    first, second = (_tensors(path) for path in outputs)
    assert sorted(first) == sorted(second)
    quantized = constants = 0
    for name, (dtype, shape, scales, zero_points, value) in first.items():
        other = second[name]
        assert (dtype, shape) == other[:2], name
        np.testing.assert_array_equal(scales, other[2], err_msg=f"scales of {name}")
        np.testing.assert_array_equal(zero_points, other[3], err_msg=f"zero points of {name}")
        assert (value is None) == (other[4] is None), name
        if value is not None:
            np.testing.assert_array_equal(value, other[4], err_msg=f"values of {name}")
        quantized += dtype == "int8" and len(scales) > 0
        constants += value is not None
    # A full-integer graph with its weights was compared, not an empty one.
    assert quantized > 10 and constants > 10

    from dvfl_tf.runtime.preprocessing import clip_from_video

    clip = clip_from_video(str(folder_dataset / "test" / "run" / "run_0.avi"), 2, 16)
    logits = [_int8_logits(path, clip) for path in outputs]
    assert logits[0].dtype == np.int8
    np.testing.assert_array_equal(logits[0], logits[1])
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
