"""The one reader of `.tflite` flatbuffers: operators, tensors, graph inputs/outputs and metadata buffers.

TensorFlow-free (the schema bindings come from `ai-edge-litert`, see
`tflite_schema`), so the edge runtime, the exporter's mobile checks
(`export.tflite_graph`), the latency tools (`latency.model_info`) and the
metadata reader (`runtime.model_metadata`) all go through this module.
Only the main subgraph (0) is described; `num_subgraphs` says whether there
are others (control flow).
"""

import collections
import dataclasses

import numpy as np

from dvfl_tf.core.tflite_schema import builtin_op_names, read_model, schema, tensor_type_names


@dataclasses.dataclass(frozen=True)
class TfliteTensor:
    index: int
    name: str
    type: str  # the TFLite type name: "FLOAT32", "INT8", ...
    shape: tuple[int, ...]
    constant: bool  # holds data in the file (a weight), not computed at run time
    scale: tuple[float, ...] = ()  # quantization: one per tensor, or one per channel; () when not quantized
    zero_point: tuple[int, ...] = ()

    @property
    def dtype(self):
        """The numpy dtype of the tensor (TFLite type names are numpy's, upper-cased); None for types numpy
        lacks (STRING, RESOURCE, INT4, ...)."""
        try:
            return np.dtype(self.type.lower())
        except TypeError:
            return None


@dataclasses.dataclass(frozen=True)
class TfliteOp:
    index: int
    op: str  # builtin name ("CONV_2D"), or "CUSTOM:<code>" for custom and Flex ops
    custom_code: str | None
    inputs: tuple[int, ...]  # tensor indices; -1 = optional input absent
    outputs: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class TfliteGraph:
    ops: tuple[TfliteOp, ...]  # in execution order
    tensors: tuple[TfliteTensor, ...]
    inputs: tuple[int, ...]  # tensor indices of the graph's inputs
    outputs: tuple[int, ...]
    num_subgraphs: int
    metadata: dict  # metadata table: name -> bytes

    @property
    def op_histogram(self):
        """{op name: count}, the most frequent first."""
        return dict(collections.Counter(op.op for op in self.ops).most_common())

    def as_dict(self):
        """Plain lists and dicts (JSON-ready): what `export.tflite_graph.inspect_graph` documents."""
        return {
            "ops": [
                {
                    "index": o.index,
                    "op": o.op,
                    "custom_code": o.custom_code,
                    "inputs": list(o.inputs),
                    "outputs": list(o.outputs),
                }
                for o in self.ops
            ],
            "tensors": [
                {"index": t.index, "name": t.name, "type": t.type, "shape": list(t.shape), "constant": t.constant}
                for t in self.tensors
            ],
            "op_histogram": self.op_histogram,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "num_subgraphs": self.num_subgraphs,
        }


def read_tflite(model_bytes):
    """The `TfliteGraph` of a `.tflite` file's bytes.

    Raises:
        ValueError: not a TFLite flatbuffer.
    """
    model = read_model(model_bytes)
    subgraph = model.Subgraphs(0)
    return TfliteGraph(
        ops=tuple(_ops(model, subgraph)),
        tensors=tuple(_tensors(model, subgraph)),
        inputs=tuple(int(t) for t in subgraph.InputsAsNumpy()) if subgraph.InputsLength() else (),
        outputs=tuple(int(t) for t in subgraph.OutputsAsNumpy()) if subgraph.OutputsLength() else (),
        num_subgraphs=model.SubgraphsLength(),
        metadata=_metadata(model),
    )


def read_metadata_buffers(model_bytes):
    """{name: bytes} of the file's metadata table, without reading the graph."""
    return _metadata(read_model(model_bytes))


def with_metadata_buffer(model_bytes, name, payload):
    """`model_bytes` with `payload` (bytes) stored in the metadata table under `name` (replacing any)."""
    # flatbuffers comes with ai-edge-litert, not with the tflite-runtime fallback (which reads the sidecar JSON).
    import flatbuffers  # noqa: PLC0415

    tflite = schema()
    model = tflite.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    buffer = tflite.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.buffers = list(model.buffers or []) + [buffer]
    entry = tflite.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    kept = [m for m in (model.metadata or []) if _as_str(m.name) != name]
    model.metadata = kept + [entry]
    builder = flatbuffers.Builder(len(model_bytes) + len(payload) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _ops(model, subgraph):
    op_names = builtin_op_names()
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Old files store small codes in `deprecated_builtin_code`; the larger of the two is right.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        custom = code.CustomCode()
        codes.append((op_names.get(builtin, f"BUILTIN_{builtin}"), custom.decode() if custom else None))
    for i in range(subgraph.OperatorsLength()):
        operator = subgraph.Operators(i)
        name, custom = codes[operator.OpcodeIndex()]
        yield TfliteOp(
            index=i,
            op=f"CUSTOM:{custom}" if name == "CUSTOM" else name,
            custom_code=custom,
            inputs=tuple(int(t) for t in operator.InputsAsNumpy()) if operator.InputsLength() else (),
            outputs=tuple(int(t) for t in operator.OutputsAsNumpy()) if operator.OutputsLength() else (),
        )


def _tensors(model, subgraph):
    type_names = tensor_type_names()
    for i in range(subgraph.TensorsLength()):
        tensor = subgraph.Tensors(i)
        buffer_index = tensor.Buffer()
        buffer = model.Buffers(buffer_index) if 0 < buffer_index < model.BuffersLength() else None
        # Files above 2 GB keep weights outside the flatbuffer, at an offset.
        constant = buffer is not None and (buffer.DataLength() > 0 or buffer.Offset() > 1)
        quantization = tensor.Quantization()
        scale = zero_point = ()
        if quantization is not None and quantization.ScaleLength():
            scale = tuple(float(s) for s in quantization.ScaleAsNumpy())
            zero_point = (
                tuple(int(z) for z in quantization.ZeroPointAsNumpy()) if quantization.ZeroPointLength() else ()
            )
        yield TfliteTensor(
            index=i,
            name=tensor.Name().decode(),
            type=type_names.get(tensor.Type(), str(tensor.Type())),
            shape=tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else (),
            constant=bool(constant),
            scale=scale,
            zero_point=zero_point,
        )


def _metadata(model):
    entries = {}
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        entries[_as_str(entry.Name())] = bytes(model.Buffers(entry.Buffer()).DataAsNumpy())
    return entries


def _as_str(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value
