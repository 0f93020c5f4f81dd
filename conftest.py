import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = pathlib.Path(__file__).resolve().parent

# The files that take longest (real training processes, a chain of exports), longest first, from
# `pytest --durations`. `make test` runs `-n 2 --dist loadfile`, and pyproject's addopts add
# --no-loadscope-reorder: each file goes whole to one of the two workers in the order below, so these start
# first and the many short files fill in behind them. (xdist's default order, most tests first, sent the
# one-test files - the two-worker run, the recipe - last, where one of them alone kept a worker busy minutes
# after the other had finished.)
LONGEST_FILES = (
    "tests/training/test_training_reliability.py",
    "tests/training/test_training_multi_worker.py",
    "tests/test_recipe_end_to_end.py",
    "dvfl_tf/models/video_focalnet/video_focalnet_classifier_test.py",
    "tests/reliability/test_reliability_cases.py",
    "tests/training/test_training_distributed.py",
    "tests/reliability/test_reliability_process.py",
    "tests/training/test_training_resume.py",
)


def pytest_collection_modifyitems(items):
    """The longest files first (see LONGEST_FILES); the others, and the tests inside each file, keep their order."""
    rank = {path: index for index, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def parity_dir():
    """The official-model fixtures (../shared/parity beside the clone; DVFL_PARITY_DIR overrides)."""
    path = pathlib.Path(os.environ.get("DVFL_PARITY_DIR", REPO_ROOT.parent / "shared" / "parity"))
    if not (path / "tiny" / "checkpoint.pth").exists():
        pytest.fail(f"Parity fixtures not found at {path} (set DVFL_PARITY_DIR)")
    return path


@pytest.fixture(scope="session")
def official_flows_dir():
    """The official pretrained-start flows (../shared/official_flows; DVFL_OFFICIAL_FLOWS_DIR overrides)."""
    path = pathlib.Path(os.environ.get("DVFL_OFFICIAL_FLOWS_DIR", REPO_ROOT.parent / "shared" / "official_flows"))
    if not (path / "k400_to_7_classes" / "pretrained.pth").exists():
        pytest.fail(f"Official flow fixtures not found at {path} (set DVFL_OFFICIAL_FLOWS_DIR)")
    return path


@pytest.fixture(scope="session")
def subprocess_env():
    """Environment for a subprocess that imports this checkout of dvfl_tf."""
    repo = str(REPO_ROOT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="session")
def official_configs_dir():
    """The authors' config files (../shared/official_configs; DVFL_OFFICIAL_CONFIGS_DIR overrides)."""
    path = pathlib.Path(os.environ.get("DVFL_OFFICIAL_CONFIGS_DIR", REPO_ROOT.parent / "shared" / "official_configs"))
    if not (path / "video_focalnets" / "config_defaults.json").exists():
        pytest.fail(f"Official config files not found at {path} (set DVFL_OFFICIAL_CONFIGS_DIR)")
    return path
