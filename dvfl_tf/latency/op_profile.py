"""Per-op latency of a .tflite model: each op cut out into its own one-op model and timed.

The Python LiteRT interpreter exposes no op profiler, so every operator of
the main subgraph becomes a one-op model (same tensors, weights, quantisation
and options) run by the same runtime, delegate and threads. The sum over ops
exceeds the full model's latency by per-invoke overhead and lost fusion; the
split between ops is what the profile is for (which layers cost the time).
"""

import copy
import dataclasses
import re
import statistics
import time

from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.interpreter import Interpreter
from ai_edge_litert.tools import flatbuffer_utils

from dvfl_tf.latency.inputs import random_input
from dvfl_tf.latency.model_info import MAC_OPS


@dataclasses.dataclass
class OpTiming:
    index: int
    op: str
    name: str  # the output tensor's name: the Keras layer path
    output_shape: tuple
    macs: int
    median_ms: float
    delegated: bool = True  # whether XNNPACK took the op (else TFLite's own kernel ran it)

    @property
    def gmacs_per_s(self):
        return self.macs / 1e9 / (self.median_ms / 1e3) if self.macs and self.median_ms > 0 else None


def _one_op_model(model, op_index):
    """A ModelT holding only operator `op_index` of subgraph 0, its tensors and weights."""
    graph = model.subgraphs[0]
    op = graph.operators[op_index]
    used = [i for i in list(op.inputs) + list(op.outputs) + list(op.intermediates or []) if i >= 0]
    used = list(dict.fromkeys(used))
    new_index = {old: new for new, old in enumerate(used)}
    buffers = [schema.BufferT()]
    tensors, graph_inputs = [], []
    for old in used:
        tensor = copy.copy(graph.tensors[old])
        buffer = model.buffers[tensor.buffer] if tensor.buffer else None
        if buffer is not None and buffer.data is not None and len(buffer.data):
            buffers.append(buffer)
            tensor.buffer = len(buffers) - 1
        else:
            tensor.buffer = 0
            if old in op.inputs:
                graph_inputs.append(new_index[old])
        tensors.append(tensor)
    one = copy.copy(op)
    one.inputs = [new_index[i] if i >= 0 else -1 for i in op.inputs]
    one.outputs = [new_index[i] for i in op.outputs]
    one.intermediates = [new_index[i] for i in (op.intermediates or [])]
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.inputs = tensors, graph_inputs
    subgraph.outputs, subgraph.operators = list(one.outputs), [one]
    result = schema.ModelT()
    result.version, result.operatorCodes, result.description = model.version, model.operatorCodes, model.description
    result.subgraphs, result.buffers = [subgraph], buffers
    return result


def _time_model_content(content, threads, runs, warmup):
    interpreter = Interpreter(model_content=bytes(content), num_threads=threads)
    interpreter.allocate_tensors()
    delegated = any(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())
    for seed, detail in enumerate(interpreter.get_input_details()):
        interpreter.set_tensor(detail["index"], random_input(detail["shape"], detail["dtype"], seed=seed))
    return median_invoke_ms(interpreter, runs, warmup), delegated


def median_invoke_ms(interpreter, runs, warmup):
    """Median wall time (ms) of `runs` invokes of an interpreter whose inputs are set, after `warmup` invokes."""
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def profile_ops(model_path, threads=1, runs=3, warmup=1):
    """An `OpTiming` for every op of the main subgraph, in execution order.

    `delegated` says whether XNNPACK runs the op in the whole model (`xnnpack_partitions`).
    """
    _, delegated_ops = xnnpack_partitions(model_path, threads)
    model = flatbuffer_utils.read_model(model_path)
    graph = model.subgraphs[0]
    timings = []
    for index, op in enumerate(graph.operators):
        code = model.operatorCodes[op.opcodeIndex]
        builtin = flatbuffer_utils.get_builtin_code_from_operator_code(code)
        name = _builtin_name(builtin)
        inputs = [tuple(int(d) for d in graph.tensors[i].shape) if i >= 0 else () for i in op.inputs]
        output = tuple(int(d) for d in graph.tensors[op.outputs[0]].shape)
        macs = MAC_OPS[name](inputs, output) if name in MAC_OPS else 0
        content = flatbuffer_utils.convert_object_to_bytearray(_one_op_model(model, index))
        tensor_name = graph.tensors[op.outputs[0]].name
        if isinstance(tensor_name, bytes):
            tensor_name = tensor_name.decode()
        median_ms, _ = _time_model_content(content, threads, runs, warmup)
        timings.append(OpTiming(index, name, tensor_name, output, macs, median_ms, index in delegated_ops))
    return timings


def xnnpack_partitions(model_path, threads=1):
    """(number of XNNPACK partitions, indices of the ops they hold) of the whole model, as LiteRT delegates it.

    The interpreter appends one DELEGATE node per partition, whose inputs and
    outputs are the partition's boundary tensors; the ops of a partition are
    those reached from its outputs, walking back through producers, until
    its inputs. The other ops run in TFLite's own kernels.
    """
    interpreter = Interpreter(model_path=model_path, num_threads=threads)
    interpreter.allocate_tensors()
    nodes = interpreter._get_ops_details()
    original = [node for node in nodes if node["op_name"] != "DELEGATE"]
    producer = {int(t): node["index"] for node in original for t in node["outputs"]}
    inputs_of = {node["index"]: [int(t) for t in node["inputs"]] for node in original}
    partitions, delegated = 0, set()
    for node in nodes:
        if node["op_name"] != "DELEGATE":
            continue
        partitions += 1
        boundary = {int(t) for t in node["inputs"]}
        stack = [int(t) for t in node["outputs"]]
        while stack:
            tensor = stack.pop()
            op = producer.get(tensor)
            if op is None or tensor in boundary or op in delegated:
                continue
            delegated.add(op)
            stack.extend(t for t in inputs_of[op] if t >= 0)
    return partitions, delegated


def delegated_share(timings):
    """The share of the summed per-op time in ops XNNPACK runs (`OpTiming.delegated`)."""
    total = sum(t.median_ms for t in timings)
    return sum(t.median_ms for t in timings if t.delegated) / total if total > 0 else None


def _builtin_name(code):
    names = {value: key for key, value in vars(schema.BuiltinOperator).items() if not key.startswith("_")}
    return names.get(code, str(code))


def summarize_by(timings, key):
    """key(timing) -> {"ms": total, "count": n, "macs": total}, largest time first."""
    groups = {}
    for timing in timings:
        group = groups.setdefault(key(timing), {"ms": 0.0, "count": 0, "macs": 0})
        group["ms"] += timing.median_ms
        group["count"] += 1
        group["macs"] += timing.macs
    return dict(sorted(groups.items(), key=lambda item: -item[1]["ms"]))


def layer_path(timing):
    """The Keras layer path of an op from its output tensor name, e.g.
    "layers_0_blocks_0/modulation/focal_layers_temporal_1" (name-scope suffixes like "_1" dropped)."""
    name = timing.name.split(";")[0]
    parts = [re.sub(r"_\d+$", "", part) if part.endswith("_1") else part for part in name.split("/") if part]
    parts = parts[1:-1]
    if parts and parts[0] == "backbone":
        parts = parts[1:]
    return "/".join(parts) or name


def layer_role(timing):
    """The layer path with stage and block numbers removed, e.g. "modulation/focal_layers_temporal_1:CONV_2D"."""
    path = re.sub(r"^layers_\d+_blocks_\d+/", "", layer_path(timing))
    path = re.sub(r"layers_\d+_downsample", "downsample", path)
    return f"{path}:{timing.op}"


def format_profile(timings, total_ms=None, reference_gmacs_per_s=None, top=25):
    """Text report: time per op type and per layer role, with GMAC/s (and the fraction of a reference)."""
    summed = sum(t.median_ms for t in timings)
    lines = [f"sum of per-op medians: {summed:.1f} ms" + (f" (full model: {total_ms:.1f} ms)" if total_ms else "")]

    def table(title, groups):
        lines.append("")
        lines.append(
            f"{title:60s} {'ms':>8s} {'share':>6s} {'n':>4s} {'GMAC/s':>7s}"
            + ("  roofline" if reference_gmacs_per_s else "")
        )
        for key, group in list(groups.items())[:top]:
            rate = group["macs"] / 1e9 / (group["ms"] / 1e3) if group["macs"] and group["ms"] > 0 else None
            row = f"{key[:60]:60s} {group['ms']:8.1f} {group['ms'] / summed:6.1%} {group['count']:4d} "
            row += f"{rate:7.1f}" if rate else f"{'':7s}"
            if reference_gmacs_per_s and rate:
                row += f"  {rate / reference_gmacs_per_s:7.0%}"
            lines.append(row)

    table(
        "op type (* = not delegated to XNNPACK)", summarize_by(timings, lambda t: t.op + ("" if t.delegated else " *"))
    )
    table("layer (all stages)", summarize_by(timings, layer_role))
    table("layer", summarize_by(timings, lambda t: f"{layer_path(t)}:{t.op}"))
    return "\n".join(lines)
