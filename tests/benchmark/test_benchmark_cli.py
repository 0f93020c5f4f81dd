import json

from click.testing import CliRunner

from dvfl_tf.cli import main


def test_help_lists_targets():
    result = CliRunner().invoke(main, ["benchmark", "--help"])
    assert result.exit_code == 0
    for word in ("--target", "--threads", "--roofline", "--compare", "--json", "--csv"):
        assert word in result.output


def test_no_models_is_a_usage_error():
    result = CliRunner().invoke(main, ["benchmark"])
    assert result.exit_code == 2
    assert "Give at least one model file" in result.output


def test_bad_threads_is_a_usage_error():
    result = CliRunner().invoke(main, ["benchmark", "m.tflite", "--threads", "1,x"])
    assert result.exit_code == 2
    assert "comma-separated integers" in result.output


def test_android_without_binary_is_a_clear_error(tiny_models):
    result = CliRunner().invoke(main, ["benchmark", tiny_models["float32"], "--target", "android"])
    assert result.exit_code == 1
    assert "--benchmark-binary must point to TFLite's benchmark_model" in result.output


def test_android_without_adb_is_a_clear_error(tiny_models, tmp_path):
    binary = tmp_path / "benchmark_model"
    binary.write_bytes(b"x")
    result = CliRunner().invoke(
        main,
        [
            "benchmark",
            tiny_models["float32"],
            "--target",
            "android",
            "--benchmark-binary",
            str(binary),
            "--adb",
            "adb-absent",
        ],
    )
    assert result.exit_code == 1
    assert "`adb-absent` not found on PATH" in result.output


def test_json_and_csv_output(tiny_models, tmp_path):
    csv_path = tmp_path / "r.csv"
    result = CliRunner().invoke(
        main,
        [
            "benchmark",
            tiny_models["float32"],
            "--threads",
            "1,2",
            "--runs",
            "2",
            "--warmup",
            "1",
            "--json",
            "--csv",
            str(csv_path),
        ],
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [(r["threads"], r["delegate"], r["precision"]) for r in records] == [
        (1, "xnnpack", "float32"),
        (2, "xnnpack", "float32"),
    ]
    assert all(r["runs"] == 2 and r["gmacs"] > 0 for r in records)
    assert len(csv_path.read_text().splitlines()) == 3


def test_compare_command(tmp_path, sample_records):
    from dvfl_tf.latency.records import save_json

    save_json(sample_records, tmp_path / "r.json")
    result = CliRunner().invoke(
        main, ["benchmark", "--compare", str(tmp_path / "r.json"), "--plots-dir", str(tmp_path / "plots")]
    )
    assert result.exit_code == 0, result.output
    assert "vfl_net_nano_int8" in result.output and "latency.png" in result.output
    assert (tmp_path / "plots" / "latency.png").stat().st_size > 10_000


def test_op_profile_command(tiny_models):
    result = CliRunner().invoke(
        main, ["benchmark", tiny_models["float32"], "--op-profile", "--runs", "1", "--warmup", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "sum of per-op medians" in result.output
    # The op-type table lists every op type; the layer tables show the 25 slowest groups.
    assert "FULLY_CONNECTED" in result.output and "DEPTHWISE_CONV_2D" in result.output
    assert "layer (all stages)" in result.output


def test_json_stdout_stays_clean_with_roofline(tiny_models):
    # The real process (not CliRunner): TF's converter prints to stdout, which must not
    # reach the JSON that users pipe into other tools.
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "dvfl_tf",
            "benchmark",
            tiny_models["float32"],
            "--roofline",
            "--json",
            "--runs",
            "1",
            "--warmup",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    records = json.loads(completed.stdout)
    assert [r["model"].startswith("dense_reference") for r in records] == [False, True]
    assert records[0]["roofline_fraction"] > 0


def test_delegate_not_available_on_target(tiny_models):
    result = CliRunner().invoke(main, ["benchmark", tiny_models["float32"], "--delegate", "gpu"])
    assert result.exit_code == 1
    assert "--delegate gpu is not available on --target host" in result.output
