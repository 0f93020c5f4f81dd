"""`ExportReport`: what an export wrote and how the file compares with Keras, as a typed record.

`to_json()` gives the JSON document `dvfl-tf export-tflite --report` writes
(the keys README and docs/export.md describe); fields that do not apply to
an export (None) are left out of it, except `class_names`, which is null
when the model has none. `format_summary` gives the lines the CLI prints.
"""

import dataclasses

import numpy as np

from dvfl_tf.core.io_safety import atomic_write_json
from dvfl_tf.export.tflite_conversion import CALIBRATED_MODES


@dataclasses.dataclass
class CalibrationInfo:
    source: str  # words for the report: the dataset, "synthetic motion clips ...", "clips given by the caller"
    num_clips: int
    num_steps: int | None = None  # stream exports: the streamed steps the converter calibrated on


@dataclasses.dataclass
class ExportReport:
    output: str
    mode: str
    # Which kind of export: single-clip files say uint8_io and edgetpu, stream files say stream=True.
    uint8_io: bool | None = None
    edgetpu: bool | None = None
    stream: bool | None = None
    edgetpu_activation: dict | None = None  # edgetpu_compat.edgetpu_variant's account of the GELU swap
    calibration: CalibrationInfo | None = None
    kept_float: list | None = None
    # The written file (read back from its flatbuffer).
    file_size_bytes: int = 0
    op_histogram: dict = dataclasses.field(default_factory=dict)
    num_ops: int = 0
    max_tensor_rank: int = 0
    input_details: dict | None = None  # single-clip files: {name, dtype, shape, scale, zero_point}
    output_details: dict | None = None
    inputs: list | None = None  # stream files: every input and output in logical order (as the metadata)
    outputs: list | None = None
    io_types: list | None = None
    float_tensors: list | None = None
    float_ops: list = dataclasses.field(default_factory=list)
    boundary_conversions: list | None = None
    fully_integer: bool = False
    class_names: list | None = None
    # The file vs Keras (export.verification / stream_exporter.verify_stream).
    verification_source: str | None = None
    verification: dict = dataclasses.field(default_factory=dict)
    max_abs_logit_diff: float = 0.0
    mean_abs_logit_diff: float = 0.0
    top1_agreement: float = 0.0
    num_clips: int = 0
    latency_ms: float = 0.0  # per clip; stream files: per step
    edgetpu_check: dict | None = None

    def to_json(self):
        """The report as a JSON-ready dict (numpy scalars as Python numbers)."""
        return _jsonable(self)

    def write(self, path):
        """Writes `to_json()` to `path` (temporary name + rename)."""
        atomic_write_json(path, self.to_json())


_KEPT_WHEN_NONE = {"class_names"}


def _jsonable(value):
    if dataclasses.is_dataclass(value):
        return {
            field.name: _jsonable(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not None or field.name in _KEPT_WHEN_NONE
        }
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def format_summary(report):
    """A few readable lines summarising an `ExportReport` (single-clip or stream)."""
    if report.stream:
        return _format_stream_summary(report)
    lines = [
        f"{report.output}: {report.mode}" + (" (Edge TPU profile)" if report.edgetpu else ""),
        f"  size {report.file_size_bytes / 1e6:.2f} MB, {report.num_ops} ops, max tensor rank {report.max_tensor_rank}",
        "  ops: " + ", ".join(f"{name} x{count}" for name, count in report.op_histogram.items()),
        f"  input {report.input_details['dtype']} {report.input_details['shape']}, "
        f"output {report.output_details['dtype']} {report.output_details['shape']}",
    ]
    if report.calibration is not None:
        lines.append(f"  calibration: {report.calibration.num_clips} clips, {report.calibration.source}")
    if report.mode in CALIBRATED_MODES:
        if report.float_ops:
            lines.append(
                f"  float islands ({len(report.float_ops)} ops): "
                + ", ".join(f"{o['op']}@{o['output']}" for o in report.float_ops[:10])
            )
        else:
            lines.append("  integer from input to output (no float ops)")
    lines.append(
        f"  vs Keras on {report.num_clips} clips: max |logit diff| {report.max_abs_logit_diff:.4g}, "
        f"mean {report.mean_abs_logit_diff:.4g}, top-1 agreement {report.top1_agreement:.1%}"
    )
    verification = report.verification
    if "keras_accuracy" in verification:
        lines.append(
            f"  accuracy: Keras {verification['keras_accuracy']:.1%}, TFLite {verification['tflite_accuracy']:.1%}"
        )
    lines.append(f"  latency: {report.latency_ms:.2f} ms per clip (median, this machine's CPU)")
    if report.edgetpu_check is not None:
        lines.append(f"  Edge TPU: {report.edgetpu_check['summary']}")
    return "\n".join(lines)


def _format_stream_summary(report):
    lines = [
        f"{report.output}: stream model, {report.mode}",
        f"  size {report.file_size_bytes / 1e6:.2f} MB, {report.num_ops} ops, max tensor rank "
        f"{report.max_tensor_rank}, every activation and state at outer dimension 1",
        f"  {len(report.inputs)} inputs (frames, frame_weight, {len(report.inputs) - 2} states), "
        f"{len(report.outputs)} outputs (logits, new states); I/O types {', '.join(report.io_types)}",
    ]
    if report.calibration is not None:
        calibration = report.calibration
        lines.append(
            f"  calibration: {calibration.num_clips} clips streamed ({calibration.num_steps} steps), "
            f"{calibration.source}"
        )
    lines.append(
        f"  vs Keras stream on {report.num_clips} clips x {report.verification['steps_per_clip']} steps: "
        f"max |logit diff| {report.max_abs_logit_diff:.4g}, mean {report.mean_abs_logit_diff:.4g}, "
        f"top-1 agreement at the last step {report.top1_agreement:.1%}"
    )
    lines.append(f"  latency: {report.latency_ms:.2f} ms per step (median, this machine's CPU)")
    return "\n".join(lines)
