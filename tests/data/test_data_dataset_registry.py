"""The dataset registry: every layout has a loader, a flip policy and its place in every command's options."""

import csv
import inspect
import os

import click
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import COMMANDS, main
from dvfl_tf.data.augment import AugmentConfig
from dvfl_tf.data.datasets import DATASET_LAYOUTS, DATASETS, LAYOUT_OPTIONS, DatasetError, load_index

# The commands that read a dataset: each takes the same dataset options.
DATASET_COMMANDS = ("train", "distill", "evaluate", "cache-teacher", "check-data", "prepare")


def _command(name):
    return main.get_command(click.Context(main), name)


def test_every_registry_entry_has_a_loader_a_flip_policy_and_its_layout_options():
    assert DATASETS == tuple(DATASET_LAYOUTS) and len(DATASETS) == len(set(DATASETS))
    for name, layout in DATASET_LAYOUTS.items():
        assert layout.name == name
        assert callable(layout.loader), name
        assert isinstance(layout.flip, bool), name
        assert AugmentConfig.official(name).flip is layout.flip, name
        assert isinstance(layout.default_files, tuple), name
        assert set(layout.options) <= set(LAYOUT_OPTIONS), name
        # The loader names every layout option the entry says it takes.
        parameters = inspect.signature(layout.loader).parameters
        assert all(option in parameters for option in layout.options), name
    # Labels that know left from right are never flipped.
    assert not DATASET_LAYOUTS["ssv2"].flip and not DATASET_LAYOUTS["synthetic"].flip
    assert AugmentConfig.official("ssv2").flip is False and AugmentConfig.official("hmdb51").flip is True
    assert AugmentConfig.official("an_unregistered_list_name").flip is True
    assert AugmentConfig.official("synthetic").crop_area == (0.4, 1.0)
    assert AugmentConfig.official("hmdb51").crop_area == (0.08, 1.0)


def test_the_official_config_files_accept_the_official_layouts_of_the_registry():
    from dvfl_tf.convert.official_run_keys import SUPPORTED_DATASETS

    assert SUPPORTED_DATASETS == tuple(name for name, layout in DATASET_LAYOUTS.items() if layout.official)
    assert set(SUPPORTED_DATASETS) == {"hmdb51", "ucf101", "ucf50", "ssv2", "kinetics400"}
    # The layouts of dvfl-tf alone are not an official DATA.DATASET.
    assert not {"list", "folder", "synthetic"} & set(SUPPORTED_DATASETS)


@pytest.mark.parametrize("command", DATASET_COMMANDS)
def test_every_command_that_reads_a_dataset_offers_every_layout_and_layout_option(command):
    assert command in COMMANDS
    params = {param.name: param for param in _command(command).params}
    assert list(params["dataset"].type.choices) == list(DATASETS)
    flags = {flag for param in params.values() for flag in getattr(param, "opts", ())}
    for flag in ("--dataset", "--data-root", "--split", "--split-dir", *LAYOUT_OPTIONS.values()):
        assert flag in flags, flag
    help_text = CliRunner().invoke(main, [command, "--help"]).output
    assert "For --dataset kinetics400: annotation CSV(s)" in " ".join(help_text.split())


def test_a_layout_option_of_another_layout_is_one_clear_line(hmdb51_tree):
    with pytest.raises(DatasetError, match=r"--annotations applies to --dataset kinetics400 only"):
        load_index("hmdb51", hmdb51_tree, annotations=["k400.csv"])
    result = CliRunner().invoke(
        main, ["check-data", "--dataset", "hmdb51", "--data-root", hmdb51_tree, "--list", "train=train.csv"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == "Error: --list applies to --dataset list only. Received: --dataset hmdb51"


def _tiny_kinetics(root):
    """Annotations outside the default places (the data root and annotations/), and empty clip files."""
    os.makedirs(os.path.join(root, "meta"))
    rows = [("abseiling", "aaa", 14, 24, "train"), ("zumba", "bbb", 0, 10, "train"), ("zumba", "ccc", 3, 13, "val")]
    with open(os.path.join(root, "meta", "k400_subset.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
        writer.writerows(rows)
    for label, youtube_id, start, end, split in rows:
        path = os.path.join(root, split, label, f"{youtube_id}_{start:06d}_{end:06d}.mp4")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").close()
    return os.path.join(root, "meta", "k400_subset.csv")


def test_train_annotations_reach_the_index(tmp_path, monkeypatch):
    root = str(tmp_path / "k400")
    annotations = _tiny_kinetics(root)
    with pytest.raises(DatasetError, match="annotation CSVs not found"):
        load_index("kinetics400", root)  # the default places hold none

    from dvfl_tf.data.data_options import load_dataset_index
    from dvfl_tf.training import workflows

    received = {}

    def record_train_job(**kwargs):
        received.update(kwargs)
        return {"epochs_done": 0, "monitor": "val_accuracy", "best_value": None}

    monkeypatch.setattr(workflows, "train", record_train_job)
    args = ["train", "--dataset", "kinetics400", "--data-root", root, "--annotations", annotations]
    result = CliRunner().invoke(main, args + ["--output", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    options = received["data_options"]
    assert options.index_options == {"annotations": [annotations]}
    assert options.to_dict()["index_options"] == {"annotations": [annotations]}  # recorded in config.json
    index = load_dataset_index(options, check=False)
    assert index.class_names == ["abseiling", "zumba"]
    assert index.counts() == {"train": 2, "val": 1}
