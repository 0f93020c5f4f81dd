"""Reading and writing `.tflite` flatbuffers without TensorFlow.

The schema bindings ship with `ai-edge-litert` (and with TensorFlow); only the
`flatbuffers` package is needed to use them, so this works on an edge device too.
"""


def schema():
    """The generated TFLite schema module (`tflite.Model`, `BuiltinOperator`, ...)."""
    try:
        from ai_edge_litert import schema_py_generated  # noqa: PLC0415 - whichever package is installed
    except ImportError:
        try:
            from tensorflow.lite.python import schema_py_generated  # noqa: PLC0415 - the fallback
        except ImportError as error:
            raise ImportError(
                "Reading .tflite files needs the TFLite schema bindings from `ai-edge-litert` "
                "(pip install ai-edge-litert) or TensorFlow."
            ) from error
    return schema_py_generated


def read_model(model_bytes):
    """The read-only flatbuffer `Model` of `model_bytes` (no copy of the weights)."""
    model_bytes = bytes(model_bytes)
    if len(model_bytes) < 8 or model_bytes[4:8] != b"TFL3":
        raise ValueError("Not a TFLite flatbuffer (missing the 'TFL3' identifier).")
    return schema().Model.GetRootAs(model_bytes, 0)


def builtin_op_names():
    """{builtin operator code: name}, e.g. {3: 'CONV_2D'}."""
    operators = schema().BuiltinOperator
    return {value: name for name, value in vars(operators).items() if not name.startswith("_")}


def tensor_type_names():
    types = schema().TensorType
    return {value: name for name, value in vars(types).items() if not name.startswith("_")}
