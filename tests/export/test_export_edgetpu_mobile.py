"""Edge TPU readiness of the mobile preset, checked on the int8 file against Coral's documented rules.

No Edge TPU compiler is installable here (it is published for Debian/Ubuntu
x86-64 only, and this check must not depend on it), so the test checks what the
compiler would check first: every op in Coral's supported-op table
(`EDGETPU_SUPPORTED_OPS`), every activation int8, and Coral's shape rule (a tensor
of rank > 3 may exceed size 1 only in its 3 innermost dimensions). The
frame-by-frame (stream) file meets them all; the clip file folds its frames
into the outer dimension, which the rule forbids.
"""

import pytest

from dvfl_tf.export.edgetpu_compat import EDGETPU_SUPPORTED_OPS, edgetpu_report
from dvfl_tf.export.exporter import ExportOptions, export_model
from dvfl_tf.export.stream_exporter import export_stream_model
from dvfl_tf.export.tflite_graph import inspect_graph

# The vfl_net_mobile architecture (embed 48, patch 8, tubelet 2, depthwise temporal
# convs, gelu_sigmoid), at 64 x 64 to keep the conversions short.
IMAGE_SIZE = 64


@pytest.fixture(scope="module")
def mobile_int8_files(tmp_path_factory):
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    keras.utils.set_random_seed(0)
    directory = tmp_path_factory.mktemp("edgetpu_mobile")
    options = ExportOptions(mode="int8", write_sidecar=False)
    causal = build_model("vfl_net_mobile", num_classes=5, image_size=IMAGE_SIZE, causal=True)
    stream_path = str(directory / "mobile_stream_int8.tflite")
    export_stream_model(causal, stream_path, options)
    clip_path = str(directory / "mobile_int8.tflite")
    export_model(causal, clip_path, options)
    return {
        path_name: inspect_graph(open(path, "rb").read())
        for path_name, path in (("stream", stream_path), ("clip", clip_path))
    }


def test_mobile_stream_int8_file_maps_to_the_edge_tpu_whole(mobile_int8_files):
    graph = mobile_int8_files["stream"]
    report = edgetpu_report(graph, run_compiler=False)
    ops = {op["op"] for op in graph["ops"]}
    assert ops <= EDGETPU_SUPPORTED_OPS, ops - EDGETPU_SUPPORTED_OPS
    assert report["unsupported_ops"] == {} and report["ops_falling_back_to_cpu"] == 0
    assert report["non_integer_tensors"] == []
    assert report["tensor_shape_violations"] == 0
    assert report["summary"] == f"all {len(graph['ops'])} ops are in the Edge TPU set"


def test_mobile_clip_int8_file_breaks_only_the_shape_rule(mobile_int8_files):
    # Same ops, but the frames live in the outer (batch) dimension.
    report = edgetpu_report(mobile_int8_files["clip"], run_compiler=False)
    assert report["unsupported_ops"] == {}
    assert report["tensor_shape_violations"] > 0
