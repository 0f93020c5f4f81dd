"""Edge TPU profile: an Edge-TPU-friendly variant of the model and a check of the int8 graph.

The Edge TPU runs a fixed set of int8 TFLite ops; the Edge TPU compiler maps
ops from the input onwards and hands everything from the first unsupported op
to the CPU. `EDGETPU_SUPPORTED_OPS` is Coral's table of supported operations
(coral.ai/docs/edgetpu/models-intro, "Supported operations") written as TFLite
builtin names. Coral also requires that a tensor of rank > 3 has size 1 in
every dimension but the 3 innermost.
"""

import os
import shutil
import subprocess

from dvfl_tf.export.calibration import synthetic_motion_clips
from dvfl_tf.export.verification import agreement, keras_logits
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

EDGETPU_SUPPORTED_OPS = frozenset(
    {
        "ADD",
        "AVERAGE_POOL_2D",
        "CONCATENATION",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "EXPAND_DIMS",
        "FULLY_CONNECTED",
        "L2_NORMALIZATION",
        "LOGISTIC",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "MAXIMUM",
        "MAX_POOL_2D",
        "MEAN",
        "MINIMUM",
        "MUL",
        "PACK",
        "PAD",
        "PRELU",
        "QUANTIZE",
        "REDUCE_MAX",
        "REDUCE_MIN",
        "RELU",
        "RELU6",
        "RELU_N1_TO_1",
        "RESHAPE",
        "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR",
        "RSQRT",
        "SLICE",
        "SOFTMAX",
        "SPACE_TO_DEPTH",
        "SPLIT",
        "SQUARED_DIFFERENCE",
        "SQUEEZE",
        "STRIDED_SLICE",
        "SUB",
        "SUM",
        "TANH",
        "TRANSPOSE",
        "TRANSPOSE_CONV",
    }
)

EDGETPU_ACTIVATIONS = ("gelu_tanh", "gelu_sigmoid")


def edgetpu_variant(model, activation="gelu_tanh", num_clips=4):
    """(model with GELU replaced by `activation`, report of the float effect).

    The model is rebuilt from its config with the Edge TPU activation and the
    same weights. The report compares the float logits of both models on a
    few synthetic clips, so the cost of the swap is known before quantization.
    """
    if activation not in EDGETPU_ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {EDGETPU_ACTIVATIONS}. Received: activation={activation!r}")
    if not isinstance(model, VideoFocalNetClassifier):
        raise ValueError(
            "The Edge TPU profile rebuilds a VideoFocalNetClassifier with another activation. "
            f"Received: {type(model).__name__}"
        )
    original_activation = model.backbone.get_config().get("activation", "gelu")
    variant = model.rebuilt(activation=activation)

    clips = synthetic_motion_clips(num_clips, model.num_frames, model.frame_shape, seed=2)
    effect = agreement(keras_logits(model.single_clip_model(), clips), keras_logits(variant.single_clip_model(), clips))
    return variant, {"from": original_activation, "to": activation, "float_effect": effect}


def edgetpu_report(graph, model_path=None, run_compiler=True):
    """Which ops of an int8 graph the Edge TPU would run, and what falls back to the CPU."""
    tensors = graph["tensors"]
    unsupported = [op for op in graph["ops"] if op["op"] not in EDGETPU_SUPPORTED_OPS]
    first = unsupported[0]["index"] if unsupported else None
    non_integer = [t["name"] for t in tensors if not t["constant"] and t["type"] not in ("INT8", "UINT8", "INT32")]
    # Coral: "If a tensor has more than 3 dimensions, only the 3 innermost may be larger than 1".
    # It concerns activations; 4-D convolution weights are the ops' normal format.
    shape_violations = [
        {"name": t["name"], "shape": t["shape"]}
        for t in tensors
        if not t["constant"] and len(t["shape"]) > 3 and any(d > 1 for d in t["shape"][:-3])
    ]
    cpu_ops = graph["ops"][first:] if first is not None else []
    report = {
        "unsupported_ops": dict(_count(op["op"] for op in unsupported)),
        "first_unsupported_op": None if first is None else {"index": first, "op": graph["ops"][first]["op"]},
        "ops_on_edgetpu_by_op_list": len(graph["ops"]) - len(cpu_ops),
        "ops_falling_back_to_cpu": len(cpu_ops),
        "non_integer_tensors": non_integer,
        "tensor_shape_violations": len(shape_violations),
        "tensor_shape_violation_examples": shape_violations[:5],
    }
    parts = []
    if unsupported:
        parts.append(
            f"{len(unsupported)} ops outside the Edge TPU set ({', '.join(report['unsupported_ops'])}); "
            f"{len(cpu_ops)} of {len(graph['ops'])} ops from #{first} would run on the CPU"
        )
    else:
        parts.append(f"all {len(graph['ops'])} ops are in the Edge TPU set")
    if shape_violations:
        parts.append(
            f"{len(shape_violations)} tensors break Coral's rank rule (size > 1 outside the 3 innermost dims, "
            f"e.g. {shape_violations[0]['name']} {shape_violations[0]['shape']}): the compiler leaves those ops on the CPU"
        )
    if non_integer:
        parts.append(f"{len(non_integer)} non-integer activation tensors")
    if run_compiler and model_path is not None:
        report["compiler"] = run_edgetpu_compiler(model_path)
        parts.append(report["compiler"]["message"])
    report["summary"] = "; ".join(parts)
    return report


def run_edgetpu_compiler(model_path, output_dir=None):
    """Runs `edgetpu_compiler` on `model_path` when installed; says so clearly when not."""
    compiler = shutil.which("edgetpu_compiler")
    if compiler is None:
        return {
            "ran": False,
            "message": "edgetpu_compiler is not installed (Debian/Ubuntu x86-64 only: "
            "https://coral.ai/docs/edgetpu/compiler/); op-list check only",
        }
    output_dir = output_dir or os.path.dirname(os.path.abspath(model_path))
    result = subprocess.run(
        [compiler, "--show_operations", "--out_dir", output_dir, model_path], capture_output=True, text=True
    )
    return {
        "ran": True,
        "returncode": result.returncode,
        "log": (result.stdout + result.stderr)[-4000:],
        "message": "edgetpu_compiler " + ("succeeded" if result.returncode == 0 else f"failed ({result.returncode})"),
    }


def _count(items):
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])
