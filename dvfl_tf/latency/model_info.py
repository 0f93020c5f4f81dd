"""What a .tflite file computes: multiply-accumulates per op and weight precision, read from the flatbuffer
(`dvfl_tf.core.tflite_file`, no interpreter).

MACs are counted from tensor shapes, as `dvfl_tf.models.profiling.profile_model`
counts them for Keras models: one MAC per weight use of FULLY_CONNECTED,
CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and BATCH_MATMUL; element-wise ops,
normalisation and pooling are not counted (they are memory-, not compute-bound).
"""

import dataclasses
import math

import numpy as np

from dvfl_tf.core.tflite_file import read_tflite


# op name -> function(input shapes, output shape) -> MACs.
def _fully_connected(inputs, output):
    weights = inputs[1]  # (units, depth)
    return math.prod(output) * int(weights[-1])


def _conv_2d(inputs, output):
    weights = inputs[1]  # (out_channels, kh, kw, in_channels per group)
    return math.prod(output) * int(np.prod(weights[1:]))


def _depthwise_conv_2d(inputs, output):
    weights = inputs[1]  # (1, kh, kw, out_channels)
    return math.prod(output) * int(weights[1] * weights[2])


def _transpose_conv(inputs, output):
    weights, data = inputs[1], inputs[2]  # inputs: output_shape, weights (O, kh, kw, I), input
    return math.prod(data) * int(np.prod(weights[:3]))


def _batch_matmul(inputs, output):
    lhs = inputs[0]
    rows = output[-2]
    # lhs is (..., M, K), or (..., K, M) when adj_x: K is the axis that is not M.
    depth = lhs[-1] if lhs[-2] == rows else lhs[-2]
    return math.prod(output) * int(depth)


MAC_OPS = {
    "FULLY_CONNECTED": _fully_connected,
    "CONV_2D": _conv_2d,
    "DEPTHWISE_CONV_2D": _depthwise_conv_2d,
    "TRANSPOSE_CONV": _transpose_conv,
    "BATCH_MATMUL": _batch_matmul,
}


@dataclasses.dataclass
class TfliteModelInfo:
    macs: int
    macs_by_op: dict  # op name -> MACs
    op_counts: dict  # op name -> number of ops
    precision: str  # "float32", "fp16", "dynamic_range", "int8" (int8 GEMM outputs) or "int16x8"
    input_details: list  # the graph inputs: {"index", "name", "shape", "dtype", "quantization"}

    @property
    def gmacs(self):
        return self.macs / 1e9


def _precision(input_dtype, weight_dtypes, activation_dtypes):
    if np.dtype(np.int16) in activation_dtypes:
        return "int16x8"  # int16 activations, int8 weights
    if np.dtype(input_dtype) in (np.int8, np.uint8) or np.dtype(np.int8) in activation_dtypes:
        return "int8"  # int8 GEMMs: full integer, or with float input/output and float islands (int8_mixed)
    if np.dtype(np.float16) in weight_dtypes:
        return "fp16"
    if np.dtype(np.int8) in weight_dtypes or np.dtype(np.uint8) in weight_dtypes:
        return "dynamic_range"
    return "float32"


def inspect_tflite(model_path):
    """MACs (total and per op type), op counts and precision of a .tflite file, read from its flatbuffer."""
    with open(model_path, "rb") as f:
        graph = read_tflite(f.read())
    tensors = graph.tensors
    macs_by_op, op_counts = {}, {}
    weight_dtypes, activation_dtypes = set(), set()
    for op in graph.ops:
        name = op.op
        op_counts[name] = op_counts.get(name, 0) + 1
        if name not in MAC_OPS:
            if name == "DEQUANTIZE":
                weight_dtypes.update(tensors[i].dtype for i in op.inputs if i >= 0)
            continue
        inputs = [tensors[i].shape if i >= 0 else () for i in op.inputs]
        output = tensors[op.outputs[0]].shape
        macs_by_op[name] = macs_by_op.get(name, 0) + MAC_OPS[name](inputs, output)
        activation_dtypes.add(tensors[op.outputs[0]].dtype)
        if len(op.inputs) > 1 and op.inputs[1] >= 0:
            weight_dtypes.add(tensors[op.inputs[1]].dtype)
    input_details = [
        {
            "index": t.index,
            "name": t.name,
            "shape": list(t.shape),
            "dtype": t.dtype,
            "quantization": (t.scale[0], t.zero_point[0]) if t.scale and t.zero_point else (0.0, 0),
        }
        for t in (tensors[i] for i in graph.inputs)
    ]
    return TfliteModelInfo(
        macs=sum(macs_by_op.values()),
        macs_by_op=macs_by_op,
        op_counts=op_counts,
        precision=_precision(input_details[0]["dtype"], weight_dtypes, activation_dtypes),
        input_details=input_details,
    )
