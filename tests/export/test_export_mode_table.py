"""Everything about the export modes follows `MODE_TABLE`: the export-tflite flags, the stream modes, the
precisions of the latency tools and the converter settings. A new mode is one entry and its export test."""

import pathlib
import types

import click

from dvfl_tf.cli import main
from dvfl_tf.core.export_modes import (
    CALIBRATED_MODES,
    DEFAULT_MODE,
    FLAG_MODES,
    MODE_TABLE,
    MODES,
    PRECISIONS,
    STREAM_MODES,
    configure_converter,
    mode_flag,
)


def _export_command():
    return main.get_command(click.Context(main), "export-tflite")


def test_each_mode_but_the_default_has_its_flag_with_the_table_help():
    flags = {param.opts[0]: param for param in _export_command().params if getattr(param, "is_flag", False)}
    for name in FLAG_MODES:
        assert flags[mode_flag(name)].name == name
        assert flags[mode_flag(name)].help == MODE_TABLE[name].help
    assert mode_flag(DEFAULT_MODE) not in flags
    assert set(FLAG_MODES) | {DEFAULT_MODE} == set(MODES)


def test_the_flags_choose_their_mode():
    from dvfl_tf.cli.export_commands import _mode

    none = dict.fromkeys(FLAG_MODES, False)
    assert _mode({**none, "edgetpu": False}) == DEFAULT_MODE
    for name in FLAG_MODES:
        assert _mode({**none, name: True, "edgetpu": False}) == name


def test_stream_modes_and_precisions_come_from_the_table():
    from dvfl_tf.export import stream_exporter, tflite_conversion
    from dvfl_tf.latency import roofline

    assert stream_exporter.STREAM_MODES is STREAM_MODES
    assert tflite_conversion.MODE_TABLE is MODE_TABLE and tflite_conversion.CALIBRATED_MODES is CALIBRATED_MODES
    assert roofline.PRECISIONS is PRECISIONS
    # A file reads as a precision that is a mode (its dense reference is built in that mode).
    assert set(PRECISIONS) <= set(MODES)
    assert set(STREAM_MODES) <= set(MODES) and DEFAULT_MODE in STREAM_MODES


def test_the_converter_is_set_up_from_the_entry():
    import tensorflow as tf

    for name, spec in MODE_TABLE.items():
        converter = types.SimpleNamespace(target_spec=types.SimpleNamespace(), optimizations=[])
        configure_converter(converter, name, representative_dataset=list, uint8_io=True)
        assert converter.target_spec.supported_ops == [getattr(tf.lite.OpsSet, spec.ops_set)]
        assert bool(converter.optimizations) == spec.optimize
        assert getattr(converter, "representative_dataset", None) is (list if spec.calibrated else None)
        assert getattr(converter, "inference_input_type", None) == (tf.uint8 if spec.integer_io else None)


def test_every_mode_has_an_export_test():
    here = pathlib.Path(__file__)
    texts = "".join(path.read_text() for path in here.parent.glob("test_export_*.py") if path != here)
    untested = [name for name in MODES if f'"{name}"' not in texts]
    assert not untested, f"modes of MODE_TABLE without an export test in tests/export/: {untested}"
