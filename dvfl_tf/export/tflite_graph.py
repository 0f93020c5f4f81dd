"""What a `.tflite` file contains: its operators, tensor types and ranks (TensorFlow-free).

The exporter uses this to refuse files that would not run where we promise
(Flex or custom ops, CONV_3D, tensors above rank 4) and to report where an
int8 graph still computes in float.
"""

import collections

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.tflite_schema import builtin_op_names, read_model, tensor_type_names

# Ops no mobile delegate we target runs, or that the GPU delegate rejects.
FORBIDDEN_BUILTINS = {"CONV_3D", "CONV_3D_TRANSPOSE"}
MAX_TENSOR_RANK = 4
FLOAT_TYPES = {"FLOAT32", "FLOAT16", "FLOAT64"}


class ExportRefusedError(UserError, ValueError):
    """The converted graph breaks a mobile rule; the message names the ops or tensors."""


def inspect_graph(model_bytes):
    """A description of the main subgraph of `model_bytes`.

    Returns a dict with:
    - `ops`: list of {"index", "op", "custom_code", "inputs", "outputs"} in execution
      order, inputs/outputs as tensor indices (-1 = optional input absent);
    - `tensors`: list of {"index", "name", "type", "shape", "constant"};
    - `op_histogram`: {op name: count};
    - `inputs`, `outputs`: tensor indices of the graph's inputs and outputs.
    """
    model = read_model(model_bytes)
    op_names = builtin_op_names()
    type_names = tensor_type_names()
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Old files store small codes in `deprecated_builtin_code`; the larger of the two is right.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        custom = code.CustomCode()
        codes.append((op_names.get(builtin, f"BUILTIN_{builtin}"), custom.decode() if custom else None))

    subgraph = model.Subgraphs(0)
    tensors = []
    for i in range(subgraph.TensorsLength()):
        tensor = subgraph.Tensors(i)
        buffer_index = tensor.Buffer()
        buffer = model.Buffers(buffer_index) if 0 < buffer_index < model.BuffersLength() else None
        constant = buffer is not None and (buffer.DataLength() > 0 or buffer.Offset() > 1)
        tensors.append(
            {
                "index": i,
                "name": tensor.Name().decode(),
                "type": type_names.get(tensor.Type(), str(tensor.Type())),
                "shape": [int(d) for d in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else [],
                "constant": bool(constant),
            }
        )

    ops = []
    for i in range(subgraph.OperatorsLength()):
        operator = subgraph.Operators(i)
        name, custom = codes[operator.OpcodeIndex()]
        if name == "CUSTOM":
            name = f"CUSTOM:{custom}"
        ops.append(
            {
                "index": i,
                "op": name,
                "custom_code": custom,
                "inputs": [int(t) for t in operator.InputsAsNumpy()] if operator.InputsLength() else [],
                "outputs": [int(t) for t in operator.OutputsAsNumpy()] if operator.OutputsLength() else [],
            }
        )
    return {
        "ops": ops,
        "tensors": tensors,
        "op_histogram": dict(collections.Counter(op["op"] for op in ops).most_common()),
        "inputs": [int(t) for t in subgraph.InputsAsNumpy()],
        "outputs": [int(t) for t in subgraph.OutputsAsNumpy()],
        "num_subgraphs": model.SubgraphsLength(),
    }


def mobile_violations(graph):
    """Human-readable reasons the graph breaks the mobile rules (empty when it is fine)."""
    problems = []
    for op in graph["ops"]:
        if op["custom_code"] is not None:
            kind = "Flex (TensorFlow) op" if op["custom_code"].startswith("Flex") else "custom op"
            problems.append(f"{kind} {op['custom_code']} (operator #{op['index']}); only TFLite builtin ops are allowed")
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
        entry = {"index": op["index"], "op": op["op"], "output": tensors[op["outputs"][0]]["name"] if op["outputs"] else ""}
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
