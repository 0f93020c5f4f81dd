"""The figures the docs state are the figures of the records they cite (benchmarks/results)."""

import glob
import json
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"


def _text(path):
    return (REPO / path).read_text()


def _record(path):
    return json.loads((RESULTS / path).read_text())


def _mean_std(summary):
    return f"{summary['mean']:.3f} +- {summary['std']:.3f}"


def test_readme_quickstart_table_equals_its_records():
    readme = _text("README.md")
    for name, int8_key in (
        ("avx512_vnni_2026-11-30.json", "int8_after_input_normalization_fold"),
        ("avx2_2026-12-03.json", None),
    ):
        record = _record(f"quickstart/{name}")
        accuracy = record["accuracy"]
        int8 = record[int8_key] if int8_key else record
        int8_top1 = int8["student_int8_tflite"] if int8_key else accuracy["student_int8_tflite"]
        figures = [
            accuracy["teacher"],
            accuracy["student_distilled"],
            accuracy["student_scratch"],
            int8_top1,
            int8["int8_top1_agreement"],
        ]
        row = " | ".join(f"{value:.3f}" for value in figures) + f" | [{name}](benchmarks/results/quickstart/{name})"
        assert row in readme, row


def test_mobile_results_table_equals_its_records():
    page = " ".join(_text("docs/mobile.md").split())
    latency = {row["model"]: row for row in _record("mobile/stream_latency_quiet.json")["records"]}

    def ms(model):
        return latency[model]["median_ms"]

    def per_frame(model):
        return latency[model]["ms_per_frame"]

    expected = [
        f"| {ms('clip_float32.tflite'):.2f} / {ms('clip_int8.tflite'):.2f} ms | `stream_latency_quiet.json` |",
        f"| {ms('stream_float32.tflite'):.2f} / {ms('stream_int8.tflite'):.2f} ms "
        f"({per_frame('stream_float32.tflite'):.2f} / {per_frame('stream_int8.tflite'):.2f} ms per frame) |",
        f"| {ms('movinet_a0_base_8x172_float32.tflite'):.2f} / {ms('movinet_a0_base_8x160_float32.tflite'):.2f} ms |",
        f"| {per_frame('movinet_a0_stream_160_float32.tflite'):.2f} ms per frame |",
    ]
    params = {model["params"] for model in _record("mobile/stream_latency_quiet.json")["movinet_models"].values()}
    assert len(params) == 1
    expected.append(f"600 classes, {params.pop():,} parameters")
    # The ratios the text reads from the table.
    expected.append(f"({ms('clip_int8.tflite') / ms('clip_float32.tflite'):.1f}x clip, ")
    expected.append(f"{ms('stream_int8.tflite') / ms('stream_float32.tflite'):.1f}x stream")
    expected.append(f"takes {ms('clip_int8.tflite') / ms('movinet_a0_base_8x172_float32.tflite'):.2f}x the time")
    ratio = per_frame("stream_int8.tflite") / per_frame("movinet_a0_stream_160_float32.tflite")
    expected.append(f"our int8 stream {ratio:.2f}x MoViNet-A0")
    clip_int8 = ms("clip_int8.tflite")
    stream_frame = per_frame("stream_int8.tflite")
    expected.append(
        f"costs {stream_frame / clip_int8:.3f} of re-running the int8 clip model ({stream_frame:.2f} ms in the int8 "
        f"stream against {clip_int8:.2f} ms)"
    )

    stream = _record("mobile/stream_accuracy_mobile.json")
    assert stream["stream_float32_top1_last_frame"] == stream["stream_int8_top1_last_frame"]
    expected.append(
        f"| {stream['int8_vs_float_agreement_last_frame']:.3f} (top-1 {stream['stream_int8_top1_last_frame']:.3f} both) |"
    )
    for name in ("distill_fine_pan16_e6_T4.json", "distill_fine_pan16_e12_T4.json"):
        record = _record(f"mobile/{name}")
        expected.append(f"| {_mean_std(record['distilled'])} vs {_mean_std(record['scratch'])} | `{name}` |")
    movinet = _record("mobile/movinet_trained_e12.json")
    expected.append(f"| {_mean_std(movinet['top1'])} (chance 0.125) | `movinet_trained_e12.json` |")
    for text in expected:
        assert text in page, text


def test_export_page_input_fold_figures_equal_their_record():
    page = " ".join(_text("docs/export.md").split())
    latency = {row["model"]: row["median_ms"] for row in _record("mobile/stream_latency_quiet.json")["records"]}
    assert (
        f"{latency['clip_float32.tflite']:.2f} ms folded vs {latency['unfolded_clip_float32.tflite']:.2f} ms unfolded "
        f"in float32, {latency['clip_int8.tflite']:.2f} vs {latency['unfolded_clip_int8.tflite']:.2f} ms in int8"
    ) in page


def test_benchmarks_readme_nano_tables_equal_their_records():
    page = _text("benchmarks/README.md")
    labels = {
        ("vfl_net_nano.keras", "keras-graph"): "Keras float32, graph mode",
        ("vfl_net_nano_float32.tflite", "xnnpack"): "TFLite float32",
        ("vfl_net_nano_float32.tflite", "builtin"): "TFLite float32, XNNPACK off",
        ("vfl_net_nano_fp16.tflite", "xnnpack"): "TFLite fp16 weights",
        ("vfl_net_nano_dynamic_range.tflite", "xnnpack"): "TFLite dynamic range",
        ("vfl_net_nano_int8.tflite", "xnnpack"): "TFLite int8",
    }
    rows = 0
    for path in sorted(glob.glob(str(RESULTS / "nano_*.json"))):
        for record in json.loads(pathlib.Path(path).read_text()):
            if record["model"].startswith("dense_reference"):
                continue
            label = labels[(record["model"], record["delegate"])]
            row = (
                f"| {label} | {record['threads']} | {record['median_ms']:.1f} | {record['min_ms']:.1f} | "
                f"{record['p90_ms']:.1f} | {round(record['peak_memory_mb'])} | {record['gmacs_per_s']:.1f} |"
            )
            assert row in page, row
            rows += 1
    after = _record("after_layernorm_change/nano_float32_int8.json")
    for record in after:
        if record["model"].startswith("dense_reference"):
            continue
        label = labels[(record["model"], record["delegate"])]
        row = (
            f"| {label} | {record['threads']} | {record['median_ms']:.1f} | {record['min_ms']:.1f} | "
            f"{round(record['peak_memory_mb'])} |"
        )
        assert row in page, row
        rows += 1
    assert rows == 16
