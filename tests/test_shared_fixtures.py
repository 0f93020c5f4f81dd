"""Without the official fixtures of shared/, a test that reads them fails with one line saying what is missing."""

import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_missing_shared_fixtures_give_one_line_naming_the_file_and_its_source(tmp_path, subprocess_env):
    missing = tmp_path / "no_shared" / "parity"
    env = {**subprocess_env, "DVFL_PARITY_DIR": str(missing)}
    test = "dvfl_tf/models/video_focalnet/video_focalnet_presets_test.py"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{test}::test_param_formula_matches_official_fixture_counts",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"shared fixtures missing (the tests that read them fail): {missing}" in output
    expected = (
        f"Parity fixtures (official checkpoints, inputs, logits) not found: {missing / 'tiny' / 'checkpoint.pth'} is "
        "missing. They come from shared/parity/ beside the clone (written by the official PyTorch code; its README.md "
        "says how); set DVFL_PARITY_DIR to another copy."
    )
    assert expected in output
    assert "Traceback" not in output and "FileNotFoundError" not in output
    assert "def parity_dir" not in output  # the fixture's source is not printed: the line is the whole report
