"""docs/cli.md is the commands' own --help, and the help states the code's real defaults and ranges."""

import importlib.util
import pathlib
import re

import click

REPO = pathlib.Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_cli_reference", REPO / "tools" / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_cli_md_equals_the_generator_output():
    expected = _generator().render()
    actual = (REPO / "docs" / "cli.md").read_text()
    assert actual == expected, "docs/cli.md differs from the commands' --help: run `make cli-reference`"


def test_the_reference_holds_each_command_help_as_a_real_process_prints_it():
    generator = _generator()
    page = (REPO / "docs" / "cli.md").read_text()
    for command in ("make-synthetic", "quickstart"):
        text = generator.command_help(command)
        assert text.startswith(f"Usage: dvfl-tf {command} [OPTIONS]")
        assert f"## {command}\n\n```text\n{text}```\n" in page


def test_make_synthetic_help_states_the_generator_defaults_and_class_cap():
    from dvfl_tf.cli.data_commands import make_synthetic_command
    from dvfl_tf.data.synthetic import DEFAULTS, MAX_CLASSES

    options = {param.name: param for param in make_synthetic_command.params}
    stated = {}
    for name, param in options.items():
        match = re.search(r"\(default (\d+)", param.help or "")
        if match:
            stated[name] = int(match.group(1))
    assert stated == DEFAULTS
    classes = options["num_classes"]
    assert isinstance(classes.type, click.IntRange) and classes.type.max == MAX_CLASSES
    assert f"at most {MAX_CLASSES}" in classes.help
