import json

import matplotlib.image
import pytest

from dvfl_tf.latency.compare import _pareto_front, compare_results, format_table, load_eval_reports
from dvfl_tf.latency.records import save_csv, save_json


def test_pareto_front():
    # (latency, accuracy): b dominates c (faster and more accurate); a and d are on the front.
    points = [(100.0, 60.0), (200.0, 70.0), (250.0, 65.0), (400.0, 80.0)]
    assert _pareto_front(points) == [0, 1, 3]


def test_table_lists_every_record(sample_records):
    table = format_table(sample_records)
    lines = table.splitlines()
    assert len(lines) == 2 + len(sample_records)
    assert "median ms" in lines[0] and "420.0" in table and "int8" in table


def test_eval_reports_fraction_or_percent(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"model": "vfl_net_nano_int8.tflite", "top1": 0.62}))
    (tmp_path / "vfl_net_nano_float32.json").write_text(json.dumps({"top1": 64.5}))
    accuracy = load_eval_reports([str(tmp_path / "a.json"), str(tmp_path / "vfl_net_nano_float32.json")])
    assert accuracy == {"vfl_net_nano_int8": pytest.approx(62.0), "vfl_net_nano_float32": pytest.approx(64.5)}
    (tmp_path / "bad.json").write_text(json.dumps({"top5": 0.9}))
    with pytest.raises(ValueError, match="without 'top1'"):
        load_eval_reports([str(tmp_path / "bad.json")])


def test_compare_writes_readable_plots(tmp_path, sample_records):
    save_json(sample_records[:2], tmp_path / "a.json")
    save_csv(sample_records[2:], tmp_path / "b.csv")
    reports = []
    for name, top1 in [
        ("vfl_net_nano_float32", 0.645),
        ("vfl_net_nano_int8", 0.63),
        ("video_focalnet_base_float32", 0.79),
    ]:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"model": name + ".tflite", "top1": top1}))
        reports.append(str(path))
    plots_dir = tmp_path / "plots"
    table, plots = compare_results(
        [str(tmp_path / "a.json"), str(tmp_path / "b.csv")], eval_reports=reports, plots_dir=str(plots_dir)
    )
    assert len(table.splitlines()) == 2 + len(sample_records)
    assert [p.split("/")[-1] for p in plots] == ["latency.png", "roofline.png", "pareto.png"]
    for path in plots:
        image = matplotlib.image.imread(path)
        assert image.shape[0] >= 200 and image.shape[1] >= 700
        assert image[..., :3].std() > 0.05  # not blank: bars, points, text


def test_compare_without_matching_reports_is_a_clear_error(tmp_path, sample_records):
    save_json(sample_records, tmp_path / "a.json")
    (tmp_path / "other.json").write_text(json.dumps({"model": "unknown.tflite", "top1": 0.5}))
    with pytest.raises(ValueError, match="No benchmark record matches"):
        compare_results(
            [str(tmp_path / "a.json")], eval_reports=[str(tmp_path / "other.json")], plots_dir=str(tmp_path)
        )
