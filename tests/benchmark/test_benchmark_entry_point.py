"""`python -m benchmarks`: every name runs a module of benchmarks/, every documented command is registered."""

import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

from benchmarks.__main__ import ENTRIES, main

REPO = pathlib.Path(__file__).resolve().parents[2]
# The pages whose commands name benchmarks (the manual, its docs and the benchmarks' own README).
PAGES = [
    "README.md",
    "benchmarks/README.md",
    "experiments/README.md",
    *sorted(p.as_posix() for p in (REPO / "docs").glob("*.md")),
]
COMMAND = re.compile(r"python -m benchmarks ([a-z][a-z0-9-]*)")  # NAME, a placeholder, is upper case


def documented_names():
    """{name: [page, ...]} of every `python -m benchmarks NAME` written in the pages."""
    names = {}
    for page in PAGES:
        text = (REPO / page).read_text() if (REPO / page).is_file() else ""
        for name in COMMAND.findall(text):
            names.setdefault(name, []).append(page)
    return names


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_each_name_runs_a_module_of_the_benchmarks_folder(name):
    module = ENTRIES[name].module
    assert module.startswith("benchmarks."), module
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{name}: no module {module}"
    assert pathlib.Path(spec.origin).parent == REPO / "benchmarks"


def test_every_documented_command_is_registered_and_every_name_documented():
    documented = documented_names()
    unregistered = {name: pages for name, pages in documented.items() if name not in ENTRIES and name != "list"}
    assert not unregistered, f"documented but not registered: {unregistered}"
    readme = (REPO / "benchmarks/README.md").read_text()
    undocumented = [name for name in ENTRIES if f"python -m benchmarks {name}" not in readme]
    assert not undocumented, f"registered but without a command in benchmarks/README.md: {undocumented}"


def test_every_page_named_by_an_entry_exists():
    for name, entry in ENTRIES.items():
        for page in entry.page.split(", "):
            assert (REPO / page).is_file(), f"{name}: {page}"


def test_the_benchmarks_folder_holds_only_registered_scripts():
    registered = {entry.module.split(".")[-1] for entry in ENTRIES.values()}
    scripts = {p.stem for p in (REPO / "benchmarks").glob("*.py")} - {"__init__", "__main__"}
    assert scripts <= registered, f"scripts in benchmarks/ that no name runs: {sorted(scripts - registered)}"


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_help_of_each_name_runs(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m benchmarks {name}"), out[:200]


def test_list_and_unknown_name():
    listing = subprocess.run(
        [sys.executable, "-m", "benchmarks", "list"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
    for name, entry in ENTRIES.items():
        assert re.search(
            rf"^  {re.escape(name)} +{re.escape(entry.regenerates)} \[{re.escape(entry.page)}\]$", listing.stdout, re.M
        )
    unknown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "nano"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 2 and "no benchmark named 'nano'" in unknown.stderr


def test_nano_latency_writes_every_nano_record_the_readme_cites():
    from benchmarks.nano_latency import rows

    written = {name for name, _ in rows("models")}
    committed = {p.name for p in (REPO / "benchmarks" / "results").glob("nano_*.json")}
    assert written == committed
    cited = set(re.findall(r"`results/(nano_[\w*]+\.json)`", (REPO / "benchmarks/README.md").read_text()))
    assert cited == {"nano_*.json"}


def test_stream_unfolded_exports_skip_the_input_fold_only_inside_the_context():
    from benchmarks.stream_benchmark import _without_input_fold
    from dvfl_tf.export import exporter, stream_exporter

    model = object()
    with _without_input_fold():
        assert exporter.fold_input_normalization(model) is model
        assert stream_exporter.fold_input_normalization(model) is model
    assert exporter.fold_input_normalization.__name__ == "fold_input_normalization"
