"""Every bad input of reliability_cases.CASES, through the real CLI: one line, non-zero exit, nothing lost.

All command lines run in one subprocess (reliability_driver.py: TensorFlow is
imported once), each in a fresh copy of real files written by the project.
"""

import fnmatch
import json
import os
import re
import subprocess
import sys

import pytest
from reliability_cases import CASES, CLI_CASES, DOC_PATH, doc_table, render_table
from reliability_workspace import build_workspace

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="session")
def case_results(tmp_path_factory):
    workspace = build_workspace(str(tmp_path_factory.mktemp("reliability") / "workspace"))
    folder = tmp_path_factory.mktemp("reliability_run")
    cases_path, results_path = folder / "cases.json", folder / "results.json"
    cases_path.write_text(
        json.dumps(
            [
                {
                    "id": c.id,
                    "argv": list(c.argv),
                    "unchanged": list(c.unchanged),
                    "unchanged_dirs": list(c.unchanged_dirs),
                    "absent": list(c.absent),
                    "env": [list(pair) for pair in c.env],
                }
                for c in CLI_CASES
            ]
        )
    )
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), "CUDA_VISIBLE_DEVICES": ""}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI's own default applies
    run = subprocess.run(
        [sys.executable, os.path.join(HERE, "reliability_driver.py"), workspace, str(cases_path), str(results_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {result["id"]: result for result in json.loads(results_path.read_text())}


# What TensorFlow, the converter, Python's warnings machinery and OpenCV print; none belongs in default output.
NOISE = re.compile(
    r"absl::InitializeLog|^[IWEF]\d{4} |cudart_stub|cpu_feature_guard|oneDNN|cuInit|^Captures:|Saved artifact"
    r"|XNNPACK delegate|fully_quantize|: \w*Warning: |^\s+warnings\.warn\(|^\[ WARN:"
)


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_input_gives_one_clear_line(case, case_results):
    result = case_results[case.id]
    output = result["stdout"] + result["stderr"]
    assert "Traceback" not in output, output
    noise = [line for line in output.splitlines() if NOISE.search(line)]
    assert noise == [], noise
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    if case.exit_code == 0:  # a common path, run for its output: it works, and says so without noise
        assert result["exit_code"] == 0 and errors == [], output
        assert any(fnmatch.fnmatchcase(line, case.message) for line in output.splitlines()), output
    else:
        assert len(errors) == 1, output
        assert fnmatch.fnmatchcase(errors[0], case.message), f"{errors[0]!r} does not match {case.message!r}"
        assert result["exit_code"] == case.exit_code, output
    if case.exit_code == 2:  # a usage error: that line alone, without click's Usage/Try lines
        assert result["stderr"].strip() == errors[0], output
    assert result["changed"] == [] and result["changed_dirs"] == [], (
        f"changed: {result['changed'] + result['changed_dirs']}"
    )
    assert result["created"] == [], f"created: {result['created']}"


def test_case_ids_are_unique_and_table_has_40_entries():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 100


def test_cases_backed_by_other_tests_exist():
    for case in CASES:
        assert bool(case.argv) != bool(case.test), f"{case.id}: give argv or test (one of them)"
        if case.test:
            path, _, name = case.test.partition("::")
            with open(os.path.join(REPO, path)) as f:
                assert f"def {name}(" in f.read(), f"{case.id}: {case.test} not found"


def test_docs_reliability_table_is_generated_from_the_cases():
    with open(DOC_PATH) as f:
        text = f.read()
    assert doc_table(text) == render_table(), (
        "docs/reliability.md is out of date: python tests/reliability/reliability_cases.py --write"
    )
