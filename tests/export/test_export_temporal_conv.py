"""The cheap temporal convolutions of the mobile preset export like the official dense one.

Builtin ops only, no tensor above rank 4, full-integer int8; the float32 file
computes the Keras model.
"""

import pytest

from dvfl_tf.export import export_tflite, inspect_graph
from dvfl_tf.export.tflite_graph import mobile_violations
from tests.model_testing import tiny_classifier

CLASS_NAMES = ["walk", "run", "jump"]


def _temporal_weights(graph, op_name):
    """Kernel shapes of the `op_name` ops with a (k, 1) kernel: the temporal focal convs.

    (By shape: the converter names a grouped conv's output "convolutionN", not after its layer.)
    """
    tensors = graph["tensors"]
    shapes = [tensors[op["inputs"][1]]["shape"] for op in graph["ops"] if op["op"] == op_name]
    return [shape for shape in shapes if shape[2] == 1 and shape[1] > 1]


@pytest.mark.parametrize(
    "temporal_conv, op_name, kernel_shape",
    [
        # (k, 1) temporal kernels as TFLite stores them: depthwise (1, k, 1, C), grouped (C, k, 1, C / groups).
        ("depthwise", "DEPTHWISE_CONV_2D", [1, 3, 1, 32]),
        ("grouped", "CONV_2D", [32, 3, 1, 16]),
    ],
)
def test_cheap_temporal_conv_exports_builtin_rank4_and_full_int8(tmp_path, temporal_conv, op_name, kernel_shape):
    # One stage, one block, 2 frames of 16x16 (as the export tests' mini model), 32 channels: 2 groups of 16.
    model = tiny_classifier(
        num_classes=len(CLASS_NAMES),
        embed_dim=32,
        depths=[1],
        focal_levels=[2],
        focal_windows=[3],
        image_size=16,
        num_frames=2,
        temporal_conv=temporal_conv,
    )
    reports = {}
    for mode in ("float32", "int8"):
        path = tmp_path / f"{temporal_conv}_{mode}.tflite"
        reports[mode] = export_tflite(model, path, mode=mode, class_names=CLASS_NAMES)
        graph = inspect_graph(path.read_bytes())
        assert mobile_violations(graph) == []
        assert max(len(t["shape"]) for t in graph["tensors"]) <= 4
        assert _temporal_weights(graph, op_name) == [kernel_shape, [kernel_shape[0], 5] + kernel_shape[2:]]
    assert reports["float32"].max_abs_logit_diff < 1e-3
    int8 = reports["int8"]
    assert int8.fully_integer is True and int8.float_ops == []
    assert int8.input_details["dtype"] == "int8" and int8.output_details["dtype"] == "int8"
