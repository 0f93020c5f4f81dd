import json

import pytest

from dvfl_tf.latency.records import BenchmarkRecord, load_records, save_csv, save_json, summarize_times


def _record(**overrides):
    values = dict(
        model="m.tflite",
        target="host",
        device="cpu",
        threads=2,
        delegate="xnnpack",
        init_ms=5.0,
        first_ms=12.0,
        mean_ms=10.0,
        median_ms=9.5,
        p90_ms=12.0,
        min_ms=8.0,
        std_ms=1.5,
        peak_memory_mb=100.0,
        runs=10,
    )
    values.update(overrides)
    return BenchmarkRecord(**values)


def test_summarize_times_figures():
    # 10 runs: 1..10 ms. mean 5.5, median 5.5, p90 (nearest rank: 9th value) 9, min 1,
    # population std sqrt(8.25).
    summary = summarize_times([float(v) for v in (3, 1, 2, 10, 4, 5, 9, 8, 7, 6)])
    assert summary["mean_ms"] == pytest.approx(5.5)
    assert summary["median_ms"] == pytest.approx(5.5)
    assert summary["p90_ms"] == 9.0
    assert summary["min_ms"] == 1.0
    assert summary["std_ms"] == pytest.approx(8.25**0.5)
    assert summary["runs"] == 10


def test_summarize_times_rejects_empty():
    with pytest.raises(ValueError, match="At least one timed run"):
        summarize_times([])


def test_json_and_csv_round_trip(tmp_path):
    records = [_record(), _record(model="n.tflite", median_ms=None, p90_ms=None, peak_memory_mb=None, gmacs=1.5)]
    json_path, csv_path = tmp_path / "r.json", tmp_path / "r.csv"
    save_json(records, json_path)
    save_csv(records, csv_path)
    assert [r.to_dict() for r in load_records(str(json_path))] == [r.to_dict() for r in records]
    assert [r.to_dict() for r in load_records(str(csv_path))] == [r.to_dict() for r in records]
    assert json.loads(json_path.read_text())[1]["median_ms"] is None


def test_load_records_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such results file"):
        load_records(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"model": "x"}]))
    with pytest.raises(ValueError, match="missing"):
        load_records(str(bad))
