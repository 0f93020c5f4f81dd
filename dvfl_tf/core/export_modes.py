"""The TFLite export modes: one `PrecisionMode` entry of `MODE_TABLE` per mode, and everything derived from it.

The table is plain Python (no TensorFlow), so the command line builds its mode flags from it without importing
TensorFlow, and the latency tools (a layer beside `export`) quantize their dense references with the same
converter settings. `dvfl_tf.export.tflite_conversion` converts with it (and re-exports it).

Derived here: `MODES`, `CALIBRATED_MODES`, `STREAM_MODES` (a stream file can be written in these),
`PRECISIONS` (what a file reads as from its tensor types: `dvfl_tf.latency.model_info`), the export-tflite
flags (`mode_flag`, `FLAG_MODES`) and `configure_converter`.

Adding a mode: one entry below (converter settings, calibration, what stays float, its flag's help), plus
its test; the flag, the stream and latency support and the report follow.
"""

import dataclasses

# What "int8_mixed" leaves in float: every LayerNorm (quantization_debug.PARTS) and the exact GELU op.
MIXED_KEEP_FLOAT = ("layer_norm", "GELU")

# The mode of an export given no mode flag.
DEFAULT_MODE = "float32"
# The mode of an Edge TPU export: the Edge TPU runs full-integer models only.
EDGETPU_MODE = "int8"


@dataclasses.dataclass(frozen=True)
class PrecisionMode:
    """How the converter quantizes in one mode, and what the mode allows: one entry of `MODE_TABLE`."""

    help: str  # one line: what the file holds (the help of its export-tflite flag)
    optimize: bool = False  # tf.lite.Optimize.DEFAULT
    supported_types: tuple = ()  # e.g. ("float16",)
    calibrated: bool = False  # needs representative clips
    ops_set: str = "TFLITE_BUILTINS"  # a tf.lite.OpsSet member
    integer_io: bool = False  # int8 (or uint8) input and output
    # Parts ("layer_norm", "gelu", ...; see quantization_debug.PARTS) or op types left in float.
    keep_float: tuple = ()
    # A stream file (one frame plus states in) can be written in this mode: full int8 needs no float op
    # anywhere; not int16x8 (no GPU or Edge TPU kernels) nor int8_mixed (a stream export keeps nothing float).
    stream: bool = False
    # What a file of this mode reads as from its tensor types (latency.model_info); None: the mode's name.
    reads_as: str | None = None

    @property
    def takes_keep_float(self):
        """Parts can be kept in float (quantization debugger): the modes on int8 kernels."""
        return self.ops_set == "TFLITE_BUILTINS_INT8"


MODE_TABLE = {
    "float32": PrecisionMode(help="float weights and activations (the default).", stream=True),
    "fp16": PrecisionMode(help="float16 weights.", optimize=True, supported_types=("float16",), stream=True),
    "dynamic_range": PrecisionMode(help="int8 weights, float activations.", optimize=True, stream=True),
    "int8": PrecisionMode(
        help="Full-integer: int8 weights, activations, input and output.",
        optimize=True,
        calibrated=True,
        ops_set="TFLITE_BUILTINS_INT8",
        integer_io=True,
        stream=True,
    ),
    # No GPU delegate or Edge TPU kernels for the 16x8 scheme.
    "int16x8": PrecisionMode(
        help="int16 activations, int8 weights, float I/O (CPU): when int8 activations lose accuracy.",
        optimize=True,
        calibrated=True,
        ops_set="EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8",
    ),
    # int8 GEMMs and convolutions, the normalization on float kernels: see docs/export.md.
    "int8_mixed": PrecisionMode(
        help="int8 GEMMs and convolutions, LayerNorm and exact GELU on float kernels, float I/O: "
        "the fastest int8 file on CPUs (XNNPACK runs all of it).",
        optimize=True,
        calibrated=True,
        ops_set="TFLITE_BUILTINS_INT8",
        keep_float=MIXED_KEEP_FLOAT,
        reads_as="int8",
    ),
}
MODES = tuple(MODE_TABLE)
CALIBRATED_MODES = tuple(name for name, mode in MODE_TABLE.items() if mode.calibrated)
STREAM_MODES = tuple(name for name, mode in MODE_TABLE.items() if mode.stream)
# The precisions a .tflite file reads as (and the dense references of the roofline are built in).
PRECISIONS = tuple(dict.fromkeys(mode.reads_as or name for name, mode in MODE_TABLE.items()))
# The modes chosen by a flag of export-tflite (every mode but the default).
FLAG_MODES = tuple(name for name in MODES if name != DEFAULT_MODE)


def mode_flag(name):
    """The export-tflite flag of mode `name` ("int8_mixed" -> "--int8-mixed")."""
    return "--" + name.replace("_", "-")


def check_mode(mode):
    """Refuse a mode that is not in `MODE_TABLE`."""
    if mode not in MODE_TABLE:
        raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")


def configure_converter(converter, mode, representative_dataset=None, uint8_io=False):
    """Set a `tf.lite.TFLiteConverter` up for `mode`: ops set, optimization, types, calibration, I/O types.

    `representative_dataset`: the calibration generator a calibrated mode needs.
    """
    import tensorflow as tf  # noqa: PLC0415 (the table is read without TensorFlow; configuring needs it)

    check_mode(mode)
    spec = MODE_TABLE[mode]
    converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, spec.ops_set)]
    if spec.optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if spec.supported_types:
        converter.target_spec.supported_types = [getattr(tf, name) for name in spec.supported_types]
    if spec.calibrated:
        converter.representative_dataset = representative_dataset
    if spec.integer_io:
        io_type = tf.uint8 if uint8_io else tf.int8
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    return converter
