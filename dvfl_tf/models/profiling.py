"""Parameters and multiply-accumulates (MACs) of a Keras model for one input.

MACs are counted from the traced TensorFlow graph (MatMul, BatchMatMul,
Conv2D, DepthwiseConv2dNative, Conv3D), so they cover every dense layer and
convolution of any model, custom layers included, as fvcore/ptflops count
convolutions and linear layers. Element-wise work (GELU, norms, the gated
sums) is not counted, matching the usual GMAC figures of papers.
"""

import numpy as np
import tensorflow as tf


def _static(shape):
    dims = shape.as_list() if hasattr(shape, "as_list") else list(shape)
    if any(d is None for d in dims):
        raise ValueError(f"Cannot count MACs of a tensor with unknown shape {dims}")
    return dims


def _op_macs(op):
    kind = op.type
    if kind == "MatMul":
        a = _static(op.inputs[0].shape)
        out = _static(op.outputs[0].shape)
        inner = a[0] if op.get_attr("transpose_a") else a[1]
        return int(np.prod(out)) * inner
    if kind in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
        a = _static(op.inputs[0].shape)
        out = _static(op.outputs[0].shape)
        inner = a[-2] if op.get_attr("adj_x") else a[-1]
        return int(np.prod(out)) * inner
    if kind in ("Conv2D", "Conv3D"):
        kernel = _static(op.inputs[1].shape)
        out = _static(op.outputs[0].shape)
        return int(np.prod(out)) * int(np.prod(kernel[:-1]))
    if kind == "DepthwiseConv2dNative":
        kernel = _static(op.inputs[1].shape)
        out = _static(op.outputs[0].shape)
        return int(np.prod(out)) * kernel[0] * kernel[1]
    return 0


def count_macs(model, input_shape=None):
    """MACs of one forward pass of `model` on an input of `input_shape` (default: its input, batch 1)."""
    if input_shape is None:
        input_shape = (1,) + tuple(model.input.shape[1:]) if model.input.shape[0] is None else tuple(model.input.shape)
    spec = tf.TensorSpec(input_shape, tf.float32)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    return _graph_macs(graph)


def _graph_macs(graph):
    total = 0
    for op in graph.get_operations():
        total += _op_macs(op)
        # Ops inside nested functions (e.g. tf.cond branches) are not expected in
        # our models; count them too so nothing is silently missed.
        for attr in ("then_branch", "else_branch", "body", "f"):
            try:
                function_name = op.get_attr(attr).name
            except (ValueError, AttributeError, TypeError):
                continue
            function = graph._get_function(function_name)  # noqa: SLF001 (no public accessor)
            if function is not None:
                total += _graph_macs(function.graph)
    return total


def profile_model(model, input_shape=None):
    """{"params": int, "macs": int, "gmacs": float} for one input (default: one clip)."""
    macs = count_macs(model, input_shape)
    return {"params": int(model.count_params()), "macs": int(macs), "gmacs": macs / 1e9}
