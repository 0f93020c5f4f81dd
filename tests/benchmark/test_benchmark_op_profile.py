from dvfl_tf.latency.model_info import inspect_tflite
from dvfl_tf.latency.op_profile import profile_ops, summarize_by


def test_every_op_is_timed_with_its_macs(tiny_models):
    info = inspect_tflite(tiny_models["float32"])
    timings = profile_ops(tiny_models["float32"], threads=1, runs=1, warmup=0)
    assert len(timings) == sum(info.op_counts.values())
    assert [t.index for t in timings] == list(range(len(timings)))
    assert sum(t.macs for t in timings) == info.macs
    assert all(t.median_ms > 0 for t in timings)
    # Tensor names carry the Keras layer path, which the per-layer summary groups by.
    assert any("mlp_fc1" in t.name for t in timings)
    by_op = summarize_by(timings, lambda t: t.op)
    assert {op: group["count"] for op, group in by_op.items()} == info.op_counts
    assert list(by_op.values())[0]["ms"] == max(group["ms"] for group in by_op.values())
