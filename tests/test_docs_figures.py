"""The figures the docs state are the figures of the records they cite (benchmarks/results/).

Every figure table of README.md, docs/*.md and benchmarks/README.md is a block that tools/make_figures.py
writes from its records (`make figures`); these tests keep the pages equal to its output, and every record a
table cites complete: command, commit, date and CPU (model and int8-relevant flags), or "not recorded".
"""

import importlib.util
import json
import pathlib
import re

import pytest

from dvfl_tf.apps.quickstart_recipe import recipe_description

REPO = pathlib.Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_figures", REPO / "tools" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_figure_block_of_the_docs_equals_the_generator_output():
    problems = _generator().update(check=True)
    assert not problems, "\n".join(problems)


def test_check_mode_names_the_block_that_differs(tmp_path):
    generator = _generator()
    page = (REPO / "docs" / "mobile.md").read_text()
    assert "| 6.08 / 9.58 ms |" in page
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mobile.md").write_text(page.replace("| 6.08 / 9.58 ms |", "| 6.00 / 9.58 ms |"))
    problems = generator.update(repo=tmp_path, check=True)
    assert "docs/mobile.md: block figures:mobile-results differs from its records (run `make figures`)" in problems
    assert (tmp_path / "docs" / "mobile.md").read_text().count("6.00 / 9.58") == 1  # check mode writes nothing
    generator.update(repo=tmp_path)
    assert (tmp_path / "docs" / "mobile.md").read_text() == page


def test_a_block_without_a_table_is_named(tmp_path):
    (tmp_path / "README.md").write_text("<!-- figures:no-such-table -->\n| 1 |\n<!-- /figures:no-such-table -->\n")
    problems = _generator().update(repo=tmp_path, check=True)
    assert "README.md: block figures:no-such-table has no table in tools/make_figures.py" in problems


def _cited_records():
    generator = _generator()
    return sorted({path for spec in generator.TABLES.values() for path in generator.table_records(spec)})


@pytest.mark.parametrize("path", _cited_records())
def test_each_cited_record_names_its_command_commit_date_and_cpu(path):
    generator = _generator()
    assert (generator.RESULTS / path).is_file(), path
    info = generator.provenance(path)
    for key in ("command", "commit", "date", "cpu", "load_average"):
        assert info.get(key), f"{path}: no {key}"
    cpu = info["cpu"]
    assert isinstance(cpu, dict), f"{path}: cpu is {cpu!r}, not {{cpu_model, int8_flags, ...}}"
    assert cpu.get("cpu_model"), f"{path}: cpu has no cpu_model"
    flags = cpu.get("int8_flags")
    assert flags == "not recorded" or (isinstance(flags, list) and flags), f"{path}: int8_flags {flags!r}"


def _quickstart_record(cpu_model, flags, accuracies, seconds):
    names = ("teacher", "student_distilled", "student_scratch", "student_int8_tflite")
    seeds = [
        {
            "seed": seed,
            "accuracy": dict(zip(names, values[:4], strict=True)),
            "int8_top1_agreement": values[4],
            "seconds": second,
        }
        for seed, (values, second) in enumerate(zip(accuracies, seconds, strict=True))
    ]
    return {
        "quickstart_recipe": recipe_description(),
        "what": "a test record",
        "command": "make quickstart",
        "commit": "abc1234",
        "date": "2026-12-03",
        "cpu": {"cpu_model": cpu_model, "machine": "x86_64", "int8_flags": flags, "cores": 2},
        "load_average_before": [0.1, 0.2, 0.3],
        "seeds": seeds,
        "determinism": {"runs": 2, "seed": 0, "bit_identical": True, "digests": {}},
        "seconds": {"median": sorted(seconds)[len(seconds) // 2]},
    }


def test_quickstart_table_shows_mean_spread_and_median_time_of_each_record(tmp_path):
    folder = tmp_path / "quickstart"
    folder.mkdir()
    record = _quickstart_record(
        "AMD EPYC",
        ["AVX2", "FMA"],
        [(0.99, 0.95, 0.60, 0.95, 0.995), (0.97, 0.91, 0.40, 0.90, 0.985), (0.98, 0.93, 0.50, 0.94, 0.990)],
        [540.0, 560.0, 520.0],
    )
    (folder / "avx2_2026-12-04.json").write_text(json.dumps(record))
    # Records of another recipe stay out of the table: an old one without per-seed figures, and one of other epochs.
    (folder / "avx2_2026-12-03.json").write_text(json.dumps({"command": "make quickstart", "accuracy": {}}))
    other = json.loads(json.dumps(record))
    other["quickstart_recipe"]["recipe"]["teacher"]["epochs"] += 1
    (folder / "avx2_2026-12-02.json").write_text(json.dumps(other))
    body = _generator().render("quickstart", results=tmp_path)
    row = (
        "| AMD EPYC (x86_64, 2 cores), int8 flags: AVX2, FMA | 0, 1, 2 | 0.980 (0.020) | 0.930 (0.040) | "
        "0.500 (0.200) | 0.930 (0.050) | 0.990 (0.010) | 540 s a run (1 at a time) | "
        "[avx2_2026-12-04.json](benchmarks/results/quickstart/avx2_2026-12-04.json); "
        "seed 0 run 2 times: bit-identical |"
    )
    assert row in body.splitlines(), body
    assert "avx2_2026-12-03.json" not in body and "avx2_2026-12-02.json" not in body
    # Timed on a fresh clone: the table states the commands' times instead.
    record["fresh_clone"] = {
        "make_install": {"seconds": 150.0},
        "make_quickstart": {"seconds": 480.0},
        "make_test": {"seconds": 690.0},
    }
    (folder / "avx2_2026-12-04.json").write_text(json.dumps(record))
    body = _generator().render("quickstart", results=tmp_path)
    assert "| make quickstart 8.0 min (install 2.5 min); make test 11.5 min |" in body, body
    assert "- `quickstart/avx2_2026-12-04.json`: commit abc1234; date 2026-12-03;" in body
    assert "load average 0.10 0.20 0.30." in body


def test_quickstart_table_without_a_record_of_the_current_recipe_says_so(tmp_path):
    (tmp_path / "quickstart").mkdir()
    body = _generator().render("quickstart", results=tmp_path)
    assert body.startswith("No record of the current recipe yet")


def test_each_record_benchmarks_readme_names_exists():
    page = (REPO / "benchmarks" / "README.md").read_text()
    results = REPO / "benchmarks" / "results"
    named = set(re.findall(r"`results/([\w/.*-]+)`", page))
    assert named
    for path in sorted(named):
        if re.search(r"[A-Z]{3,}", path):  # a placeholder: PRESET, CPU_DATE
            continue
        assert list(results.glob(path)), f"benchmarks/README.md names results/{path}, which does not exist"
