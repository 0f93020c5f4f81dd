"""What a `.tflite` file contains: its operators, tensor types and ranks (TensorFlow-free).

The exporter uses this to refuse files that would not run where we promise
(Flex or custom ops, CONV_3D, tensors above rank 4) and to report where an
int8 graph still computes in float.
"""

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.tflite_file import read_tflite

# Ops no mobile delegate we target runs, or that the GPU delegate rejects.
FORBIDDEN_BUILTINS = {"CONV_3D", "CONV_3D_TRANSPOSE"}
MAX_TENSOR_RANK = 4
FLOAT_TYPES = {"FLOAT32", "FLOAT16", "FLOAT64"}


class ExportRefusedError(UserError, ValueError):
    """The converted graph breaks a mobile rule; the message names the ops or tensors."""


def inspect_graph(model_bytes):
    """A description of the main subgraph of `model_bytes` (read by `dvfl_tf.core.tflite_file`).

    Returns a dict with:
    - `ops`: list of {"index", "op", "custom_code", "inputs", "outputs"} in execution
      order, inputs/outputs as tensor indices (-1 = optional input absent);
    - `tensors`: list of {"index", "name", "type", "shape", "constant"};
    - `op_histogram`: {op name: count};
    - `inputs`, `outputs`: tensor indices of the graph's inputs and outputs.
    """
    return read_tflite(model_bytes).as_dict()


def mobile_violations(graph):
    """Human-readable reasons the graph breaks the mobile rules (empty when it is fine)."""
    problems = []
    for op in graph["ops"]:
        if op["custom_code"] is not None:
            kind = "Flex (TensorFlow) op" if op["custom_code"].startswith("Flex") else "custom op"
            problems.append(
                f"{kind} {op['custom_code']} (operator #{op['index']}); only TFLite builtin ops are allowed"
            )
        elif op["op"] in FORBIDDEN_BUILTINS:
            problems.append(f"{op['op']} (operator #{op['index']}) is not supported by mobile delegates")
    for tensor in graph["tensors"]:
        if len(tensor["shape"]) > MAX_TENSOR_RANK:
            problems.append(
                f"tensor {tensor['name']!r} has rank {len(tensor['shape'])} (shape {tensor['shape']}); "
                f"the GPU delegate needs rank <= {MAX_TENSOR_RANK}"
            )
    if graph["num_subgraphs"] > 1:
        problems.append(f"{graph['num_subgraphs']} subgraphs (control flow); expected a single straight-line graph")
    return problems


def outer_dimension_violations(graph):
    """Non-constant tensors whose outer (batch) dimension is not 1: what a stream model must not have.

    The GPU delegate and the Edge TPU compile single-batch graphs; a stream model
    has every activation and state at batch 1.
    """
    return [
        f"tensor {t['name']!r} has shape {t['shape']} (outer dimension {t['shape'][0]}, expected 1)"
        for t in graph["tensors"]
        if not t["constant"] and len(t["shape"]) >= 2 and t["shape"][0] != 1
    ]


def check_mobile_compatible(graph):
    """Raises `ExportRefusedError` naming every op or tensor that breaks the mobile rules."""
    problems = mobile_violations(graph)
    if problems:
        raise ExportRefusedError("Refusing to export: " + "; ".join(problems))


def float_islands(graph):
    """Ops of a quantized graph that compute in float, with why they matter.

    An op counts when any non-constant input or output is a float tensor.
    QUANTIZE/DEQUANTIZE ops at the graph's own inputs/outputs (float I/O) are
    listed separately as boundary conversions.
    """
    tensors = graph["tensors"]
    graph_io = set(graph["inputs"]) | set(graph["outputs"])
    islands, boundary = [], []
    for op in graph["ops"]:
        touched = [t for t in op["inputs"] + op["outputs"] if t >= 0 and not tensors[t]["constant"]]
        if not any(tensors[t]["type"] in FLOAT_TYPES for t in touched):
            continue
        entry = {
            "index": op["index"],
            "op": op["op"],
            "output": tensors[op["outputs"][0]]["name"] if op["outputs"] else "",
        }
        if op["op"] in ("QUANTIZE", "DEQUANTIZE") and any(t in graph_io for t in touched):
            boundary.append(entry)
        else:
            islands.append(entry)
    return {"float_ops": islands, "boundary_conversions": boundary}


def float_activation_tensors(graph):
    """Names of non-constant float tensors (the ones that cost float compute at run time)."""
    return [t["name"] for t in graph["tensors"] if t["type"] in FLOAT_TYPES and not t["constant"]]


def io_details(graph):
    """[(name, type, shape)] of the graph inputs and of its outputs."""
    tensors = graph["tensors"]

    def describe(indices):
        return [{"name": tensors[i]["name"], "type": tensors[i]["type"], "shape": tensors[i]["shape"]} for i in indices]

    return {"inputs": describe(graph["inputs"]), "outputs": describe(graph["outputs"])}
