import pytest

from dvfl_tf.latency.model_info import inspect_tflite
from dvfl_tf.latency.roofline import build_dense_reference, dense_reference_macs, dense_reference_shape


@pytest.mark.parametrize("macs", [27_000_000_000, 5_000_000_000, 1_000_000])
def test_dense_reference_shape_matches_macs(macs):
    layers, tokens = dense_reference_shape(macs)
    assert tokens <= 4096
    # Within half a token-row of one layer of the target (or 1 token for tiny targets).
    assert abs(dense_reference_macs(layers, tokens) - macs) <= max(layers * 768 * 768 / 2, 768 * 768)


def test_dense_reference_model_has_the_macs_it_claims(tmp_path):
    path = str(tmp_path / "ref.tflite")
    macs = build_dense_reference(20_000_000, path, width=64)
    info = inspect_tflite(path)
    assert info.macs == macs
    assert macs == pytest.approx(20_000_000, rel=0.01)
    assert set(info.op_counts) == {"FULLY_CONNECTED"}


def test_dense_reference_rejects_zero_macs():
    with pytest.raises(ValueError, match="must be positive"):
        dense_reference_shape(0)


@pytest.mark.parametrize("precision", ["int8", "dynamic_range", "int16x8", "fp16"])
def test_quantised_reference_matches_the_precision(tmp_path, precision):
    path = str(tmp_path / f"ref_{precision}.tflite")
    macs = build_dense_reference(5_000_000, path, width=64, precision=precision)
    info = inspect_tflite(path)
    assert info.precision == precision
    assert info.macs == macs
    # Dynamic range keeps float activations: no QUANTIZE of the input.
    assert ("QUANTIZE" in info.op_counts) == (precision == "int16x8")


def test_unknown_reference_precision():
    with pytest.raises(ValueError, match="`precision` must be one of"):
        build_dense_reference(1_000_000, "unused.tflite", precision="int4")
