"""The one flatbuffer reader (dvfl_tf.core.tflite_file) on real exported files."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from dvfl_tf.core.tflite_file import read_metadata_buffers, read_tflite, with_metadata_buffer
from dvfl_tf.export import inspect_graph


def _interpreter(path):
    interpreter = Interpreter(model_path=path)
    interpreter.allocate_tensors()
    return interpreter


def test_tensors_and_io_agree_with_the_interpreter(exports):
    path = exports["int8"][0]
    with open(path, "rb") as f:
        graph = read_tflite(f.read())
    interpreter = _interpreter(path)
    for detail, index in [
        (interpreter.get_input_details()[0], graph.inputs[0]),
        (interpreter.get_output_details()[0], graph.outputs[0]),
    ]:
        tensor = graph.tensors[index]
        assert detail["index"] == index and detail["name"] == tensor.name
        assert list(detail["shape"]) == list(tensor.shape) and np.dtype(detail["dtype"]) == tensor.dtype == np.int8
        assert detail["quantization"] == (pytest.approx(tensor.scale[0]), tensor.zero_point[0])
    weights = [graph.tensors[op.inputs[1]] for op in graph.ops if op.op == "FULLY_CONNECTED"]
    assert weights and all(t.constant and t.type == "INT8" and t.scale for t in weights)
    assert graph.num_subgraphs == 1 and sum(graph.op_histogram.values()) == len(graph.ops)
    assert inspect_graph(open(path, "rb").read()) == graph.as_dict()


def test_metadata_buffers_round_trip(exports):
    with open(exports["float32"][0], "rb") as f:
        model_bytes = f.read()
    buffers = read_metadata_buffers(model_bytes)
    assert json.loads(buffers["dvfl_tf"])["num_frames"] == 2 and read_tflite(model_bytes).metadata == buffers
    replaced = with_metadata_buffer(model_bytes, "dvfl_tf", b'{"a": 1}')
    assert read_metadata_buffers(replaced)["dvfl_tf"] == b'{"a": 1}'
    assert set(read_metadata_buffers(replaced)) == set(buffers)  # replaced, not added twice
    with pytest.raises(ValueError, match="Not a TFLite flatbuffer"):
        read_tflite(b"\x00" * 64)


def test_reader_imports_no_tensorflow(exports):
    code = textwrap.dedent(
        f"""
        import json, sys
        from dvfl_tf.core.tflite_file import read_tflite
        graph = read_tflite(open({exports["int8"][0]!r}, "rb").read())
        print(json.dumps({{"ops": len(graph.ops),
                          "tf": [m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "keras"))]}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["tf"] == [] and result["ops"] > 0
