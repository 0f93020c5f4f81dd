"""Keras video classifier -> verified, mobile-checked `.tflite` file, in four steps.

    prepare  ->  convert_and_check  ->  package  ->  verify_export
    (options, graph model,   (TFLite converter,    (metadata, sidecar,   (the file vs Keras
     Edge TPU activation,     quantization, the     atomic write)         on clips, latency)
     calibration clips)       mobile rules)

`export_model` runs them and returns an `ExportReport`; the stream exporter
(`stream_exporter.export_stream_model`) runs the same steps with its own
prepare, metadata and verification. `export_tflite` keeps the keyword
arguments of the one-call API for the quickstart, benchmarks and tests.
"""

import dataclasses
import os

import numpy as np

from dvfl_tf.core.export_modes import EDGETPU_MODE
from dvfl_tf.core.io_safety import atomic_write_bytes, atomic_write_json
from dvfl_tf.export import tflite_graph
from dvfl_tf.export.calibration import DEFAULT_CALIBRATION_CLIPS, DEFAULT_VERIFY_CLIPS, synthetic_motion_clips
from dvfl_tf.export.edgetpu_compat import edgetpu_report, edgetpu_variant
from dvfl_tf.export.export_report import CalibrationInfo, ExportReport, format_summary
from dvfl_tf.export.input_folding import fold_input_normalization
from dvfl_tf.export.norm_folding import fold_norms
from dvfl_tf.export.quantization_debug import selective_int8
from dvfl_tf.export.tflite_conversion import CALIBRATED_MODES, MODE_TABLE, check_mode, convert
from dvfl_tf.export.verification import verify
from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import preprocessing_metadata
from dvfl_tf.runtime.interpreter import make_interpreter
from dvfl_tf.runtime.model_metadata import embed_metadata, sidecar_path

__all__ = [
    "DEFAULT_CALIBRATION_CLIPS",
    "DEFAULT_VERIFY_CLIPS",
    "ExportOptions",
    "PreparedExport",
    "build_metadata",
    "convert_and_check",
    "export_model",
    "export_tflite",
    "format_summary",
    "package",
    "prepare",
    "verify_export",
]

SYNTHETIC_CALIBRATION = "synthetic motion clips (no dataset given)"


def _modes_where(attribute):
    """The modes of `MODE_TABLE` whose entry has `attribute` true, as a message names them ('int8' or 'int8_mixed')."""
    return " or ".join(repr(name) for name, mode in MODE_TABLE.items() if getattr(mode, attribute))


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """How to export; checked when made (a `ValueError` names the option).

    Attributes:
        mode: a mode of `MODE_TABLE` ("float32", "fp16", "dynamic_range", "int8", "int16x8",
            "int8_mixed"; `dvfl_tf.core.export_modes` says what each holds).
        uint8_io: a mode with integer I/O (int8) with uint8 input/output instead of int8.
        edgetpu: Edge TPU profile: int8, GELU replaced by an Edge TPU form,
            op list checked against the Edge TPU's supported set, and
            `edgetpu_compiler` run when installed.
        edgetpu_activation: the GELU replacement for `edgetpu` ("gelu_tanh" or "gelu_sigmoid").
        keep_float: modes on int8 kernels only: op types (e.g. "GELU"), tensor names or parts to keep
            in float (selective quantization through TFLite's quantization debugger).
        stream: the frame-by-frame model of a causal classifier (`stream_exporter`).
        write_sidecar: write `OUTPUT.json` with the metadata next to the file.
    """

    mode: str = "float32"
    uint8_io: bool = False
    edgetpu: bool = False
    edgetpu_activation: str = "gelu_tanh"
    keep_float: tuple = ()
    stream: bool = False
    write_sidecar: bool = True

    def __post_init__(self):
        object.__setattr__(self, "keep_float", tuple(self.keep_float or ()))
        check_mode(self.mode)
        spec = MODE_TABLE[self.mode]
        if self.edgetpu and self.mode != EDGETPU_MODE:
            raise ValueError(
                f"The Edge TPU runs only full-integer models: use mode={EDGETPU_MODE!r}. Received: mode={self.mode!r}"
            )
        if self.uint8_io and not spec.integer_io:
            raise ValueError(f"`uint8_io` needs mode={_modes_where('integer_io')}. Received: mode={self.mode!r}")
        if self.keep_float and not spec.takes_keep_float:
            raise ValueError(
                f"`keep_float` needs mode={_modes_where('takes_keep_float')}. Received: mode={self.mode!r}"
            )
        if self.stream and (self.edgetpu or self.uint8_io or self.keep_float):
            raise ValueError("A stream export cannot use `edgetpu`, `uint8_io` or `keep_float`.")


@dataclasses.dataclass
class PreparedExport:
    """What `prepare` hands to the later steps."""

    graph_model: object  # the Keras model that is converted (4-D single-clip model, or the streaming model)
    # the Keras model the file is compared with (before any Edge TPU activation swap or input folding)
    reference_model: object
    num_frames: int
    image_size: tuple  # (height, width)
    class_names: list | None
    calibration_data: list | None  # what the converter calibrates on: clips, or stream steps {input name: array}
    calibration: CalibrationInfo | None
    verify_clips: list  # (clip) or (clip, label) items
    verification_source: str | None
    edgetpu_activation: dict | None = None
    tubelet_size: int | None = None  # stream exports
    preprocessing: dict | None = None  # how to build a clip for the file (the model's preprocessor config)


def graph_model_of(model):
    """The Keras model that gets converted: a classifier's 4-D single-clip model, else the model itself."""
    if hasattr(model, "single_clip_model"):
        return model.single_clip_model()
    return model


def single_clip_geometry(graph_model):
    """The `ClipGeometry` of the graph that is converted, whose input must be one 4-D clip (frames, H, W, 3)."""
    shape = tuple(graph_model.inputs[0].shape)
    if len(shape) != 4:  # a 5-D batch input would put a rank-5 tensor in the file
        raise ValueError(
            f"The exported model needs a static 4-D input (frames, height, width, 3). Received: input shape={shape}"
        )
    return clip_geometry(graph_model)


def check_class_names(class_names, num_classes):
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). Received: {len(class_names)} names"
        )


def default_clips(mode, num_frames, image_size, calibration_clips, calibration_source, verify_clips):
    """(calibration clips or None, source words or None, verify clips, verification source words or None).

    Synthetic motion clips stand in for what the caller did not give (the report says so).
    """
    if mode in CALIBRATED_MODES:
        if calibration_clips is None:
            calibration_clips = synthetic_motion_clips(DEFAULT_CALIBRATION_CLIPS, num_frames, image_size)
            calibration_source = calibration_source or SYNTHETIC_CALIBRATION
        calibration_clips = [np.asarray(c, np.float32) for c in calibration_clips]
        calibration_source = calibration_source or "clips given by the caller"
    else:
        calibration_clips = calibration_source = None
    verification_source = None
    if verify_clips is None:
        verify_clips = synthetic_motion_clips(DEFAULT_VERIFY_CLIPS, num_frames, image_size, seed=1)
        verification_source = "synthetic motion clips"
    return calibration_clips, calibration_source, list(verify_clips), verification_source


def prepare(model, options, *, class_names=None, calibration_clips=None, calibration_source=None, verify_clips=None):
    """Step 1: the graph model to convert, its geometry, class names and clips.

    Args:
        model: a `VideoFocalNetClassifier` (its `single_clip_model()` is
            converted: input (frames, H, W, 3) raw RGB, output (1, classes)),
            or any Keras model with a static 4-D input.
        options: an `ExportOptions`.
        class_names: stored in the file's metadata (and the sidecar JSON); default:
            the names saved with the model (`model.class_names`), if any.
        calibration_clips: iterable of (T, H, W, 3) float clips in [0, 255] for
            int8 / int16x8 calibration. None: synthetic motion clips.
        calibration_source: words for the report.
        verify_clips: iterable of clips, or (clip, label) pairs, to compare
            TFLite with Keras on. None: synthetic clips.
    """
    if class_names is None:
        class_names = getattr(model, "class_names", None)
    reference_model = graph_model_of(model)
    activation_report = None
    if options.edgetpu:
        model, activation_report = edgetpu_variant(model, options.edgetpu_activation)
    graph_model = graph_model_of(fold_norms(fold_input_normalization(model)))
    geometry = single_clip_geometry(graph_model)
    num_frames, height, width = geometry.num_frames, geometry.height, geometry.width
    check_class_names(class_names, int(graph_model.outputs[0].shape[-1]))
    calibration_clips, calibration_source, verify_clips, verification_source = default_clips(
        options.mode, num_frames, (height, width), calibration_clips, calibration_source, verify_clips
    )
    return PreparedExport(
        graph_model=graph_model,
        reference_model=reference_model,
        num_frames=num_frames,
        image_size=(height, width),
        class_names=list(class_names) if class_names is not None else None,
        calibration_data=calibration_clips,
        calibration=None if calibration_clips is None else CalibrationInfo(calibration_source, len(calibration_clips)),
        verify_clips=verify_clips,
        verification_source=verification_source,
        edgetpu_activation=activation_report,
        preprocessing=preprocessing_metadata(model),
    )


def convert_and_check(prepared, options):
    """Step 2: (model bytes, graph) of the converted, quantized model; refuses what breaks the mobile rules.

    Raises:
        ConversionError: the converter needed non-builtin ops.
        ExportRefusedError: the result holds a Flex/custom op, CONV_3D, a tensor
            above rank 4, or (stream files) an activation whose outer dimension is not 1.
    """
    keep_float = kept_in_float(options)
    if keep_float:
        model_bytes = selective_int8(
            prepared.graph_model, prepared.calibration_data, keep_float, uint8_io=options.uint8_io
        )
    else:
        model_bytes = convert(prepared.graph_model, options.mode, prepared.calibration_data, options.uint8_io)
    graph = tflite_graph.inspect_graph(model_bytes)
    problems = tflite_graph.mobile_violations(graph)
    if options.stream:
        problems += tflite_graph.outer_dimension_violations(graph)
    if problems:
        raise tflite_graph.ExportRefusedError("Refusing to export: " + "; ".join(problems))
    return model_bytes, graph


def kept_in_float(options):
    """What the file keeps in float: the mode's parts (`MODE_TABLE`) and the caller's `keep_float`."""
    return tuple(dict.fromkeys(MODE_TABLE[options.mode].keep_float + options.keep_float))


def build_metadata(prepared, options):
    """The `dvfl_tf` metadata of a single-clip file: what an app needs to feed it and label its output."""
    height, width = prepared.image_size
    return {
        "format": "dvfl_tf.video_classifier",
        "version": 1,
        "class_names": prepared.class_names,
        "num_frames": prepared.num_frames,
        "image_size": [height, width],
        "input": "raw RGB in [0, 255], shape (frames, height, width, 3)",
        "mode": options.mode,
        # How to build a clip for this file (resize, crop, sampling; normalisation is done inside).
        "preprocessing": prepared.preprocessing,
    }


def package(model_bytes, metadata, output_path, write_sidecar=True):
    """Step 3: embeds `metadata` in the file and writes it (and `OUTPUT.json`); returns the written bytes."""
    model_bytes = embed_metadata(model_bytes, metadata)
    # Temporary name + rename: a kill mid-write leaves any previous file whole.
    atomic_write_bytes(os.fspath(output_path), model_bytes)
    if write_sidecar:
        atomic_write_json(sidecar_path(os.fspath(output_path)), metadata)
    return model_bytes


def verify_export(model_bytes, prepared):
    """Step 4: the file vs the Keras model on the verification clips, plus latency (`verification.verify`)."""
    clips, labels = split_clips_and_labels(prepared.verify_clips)
    # Compare with the model the user gave (for --edgetpu, the original exact-GELU model).
    return verify(model_bytes, prepared.reference_model, clips, labels)


def export_model(model, output_path, options=None, **clips_and_names):
    """prepare -> convert_and_check -> package -> verify_export; returns the `ExportReport`.

    `clips_and_names`: `prepare`'s keyword arguments (class_names, calibration_clips,
    calibration_source, verify_clips).
    """
    options = options or ExportOptions()
    prepared = prepare(model, options, **clips_and_names)
    model_bytes, graph = convert_and_check(prepared, options)
    model_bytes = package(model_bytes, build_metadata(prepared, options), output_path, options.write_sidecar)
    report = ExportReport(
        output=os.fspath(output_path),
        mode=options.mode,
        uint8_io=options.uint8_io,
        edgetpu=options.edgetpu,
        edgetpu_activation=prepared.edgetpu_activation,
        calibration=prepared.calibration,
        kept_float=list(kept_in_float(options)) or None,
        class_names=prepared.class_names,
        verification_source=prepared.verification_source,
        **graph_facts(model_bytes, graph),
    )
    verification = verify_export(model_bytes, prepared)
    add_verification(report, verification, latency_ms=verification["latency"]["median_ms"])
    if options.edgetpu:
        report.edgetpu_check = edgetpu_report(graph, os.fspath(output_path))
    return report


def graph_facts(model_bytes, graph):
    """The report's fields about a single-clip file: size, ops, I/O types, float islands."""
    interpreter = make_interpreter(model_content=model_bytes, use_default_delegates=False)
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    islands = tflite_graph.float_islands(graph)
    return {
        **size_and_ops(model_bytes, graph),
        "input_details": _io(input_detail),
        "output_details": _io(output_detail),
        "float_tensors": tflite_graph.float_activation_tensors(graph),
        "float_ops": islands["float_ops"],
        "boundary_conversions": islands["boundary_conversions"],
        "fully_integer": not islands["float_ops"]
        and not islands["boundary_conversions"]
        and input_detail["dtype"] != np.float32,
    }


def size_and_ops(model_bytes, graph):
    return {
        "file_size_bytes": len(model_bytes),
        "op_histogram": graph["op_histogram"],
        "num_ops": len(graph["ops"]),
        "max_tensor_rank": max((len(t["shape"]) for t in graph["tensors"]), default=0),
    }


def add_verification(report, verification, latency_ms):
    """Copies the verification result and its headline figures into `report`."""
    report.verification = verification
    report.max_abs_logit_diff = verification["max_abs_logit_diff"]
    report.mean_abs_logit_diff = verification["mean_abs_logit_diff"]
    report.top1_agreement = verification["top1_agreement"]
    report.num_clips = verification["num_clips"]
    report.latency_ms = latency_ms


def split_clips_and_labels(items):
    """(clips, labels or None) of an iterable of clips or (clip, label) pairs."""
    clips, labels = [], []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2:
            clips.append(np.asarray(item[0], np.float32))
            labels.append(item[1])
        else:
            clips.append(np.asarray(item, np.float32))
            labels.append(None)
    return clips, (labels if all(label is not None for label in labels) else None)


def _io(detail):
    scale, zero_point = detail["quantization"]
    return {
        "name": detail["name"],
        "dtype": np.dtype(detail["dtype"]).name,
        "shape": [int(d) for d in detail["shape"]],
        "scale": float(scale),
        "zero_point": int(zero_point),
    }


def export_tflite(
    model,
    output_path,
    *,
    mode="float32",
    calibration_clips=None,
    class_names=None,
    uint8_io=False,
    edgetpu=False,
    report_path=None,
    verify_clips=None,
    calibration_source=None,
    keep_float=None,
    edgetpu_activation="gelu_tanh",
    write_sidecar=True,
):
    """One call for `export_model(model, output_path, ExportOptions(...), ...)`; also writes `report_path`.

    Arguments as `ExportOptions` and `prepare`. Returns the `ExportReport`.

    Raises:
        ValueError: an option that does not fit the others.
        ExportRefusedError: the result holds a Flex/custom op, CONV_3D or a
            tensor above rank 4 (the message names them).
        ConversionError: the converter needed non-builtin ops.
    """
    options = ExportOptions(
        mode=mode,
        uint8_io=uint8_io,
        edgetpu=edgetpu,
        edgetpu_activation=edgetpu_activation,
        keep_float=keep_float,
        write_sidecar=write_sidecar,
    )
    report = export_model(
        model,
        output_path,
        options,
        class_names=class_names,
        calibration_clips=calibration_clips,
        calibration_source=calibration_source,
        verify_clips=verify_clips,
    )
    if report_path is not None:
        report.write(report_path)
    return report
