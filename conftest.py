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
    "tests/training/test_quickstart_run.py",
    "tests/training/test_training_step_arithmetic.py",
    "tests/test_visualize.py",
    "tests/reliability/test_reliability_multi_worker_start.py",
    "tests/test_official_evaluation.py",
    "tests/training/test_official_configs.py",
)


def pytest_collection_modifyitems(items):
    """The longest files first (see LONGEST_FILES); the others, and the tests inside each file, keep their order."""
    rank = {path: index for index, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


# Fixtures written by the official PyTorch code, in shared/ beside the clone (each folder has a README that
# says how it was made): folder -> (environment variable that points elsewhere, a file that must exist, what).
SHARED_DIR = REPO_ROOT.parent / "shared"
SHARED_FIXTURES = {
    "parity": ("DVFL_PARITY_DIR", "tiny/checkpoint.pth", "Parity fixtures (official checkpoints, inputs, logits)"),
    "official_flows": (
        "DVFL_OFFICIAL_FLOWS_DIR",
        "k400_to_7_classes/pretrained.pth",
        "Official pretrained-start flows",
    ),
}


def shared_fixture_dir(folder):
    """The folder of `folder`'s fixtures, or one line saying what is missing and where it comes from."""
    variable, marker, what = SHARED_FIXTURES[folder]
    path = pathlib.Path(os.environ.get(variable, SHARED_DIR / folder))
    if not (path / marker).exists():
        pytest.fail(
            f"{what} not found: {path / marker} is missing. They come from shared/{folder}/ beside the clone "
            f"(written by the official PyTorch code; its README.md says how); set {variable} to another copy.",
            pytrace=False,
        )
    return path


def pytest_terminal_summary(terminalreporter):
    """One line at the end when shared fixtures are missing (also under -q)."""
    missing = []
    for folder, (variable, marker, _) in SHARED_FIXTURES.items():
        path = pathlib.Path(os.environ.get(variable, SHARED_DIR / folder))
        if not (path / marker).exists():
            missing.append(str(path))
    if missing:
        terminalreporter.write_line(f"shared fixtures missing (the tests that read them fail): {', '.join(missing)}")


@pytest.fixture(scope="session")
def parity_dir():
    """The official-model fixtures (../shared/parity beside the clone; DVFL_PARITY_DIR overrides)."""
    return shared_fixture_dir("parity")


@pytest.fixture(scope="session")
def official_flows_dir():
    """The official pretrained-start flows (../shared/official_flows; DVFL_OFFICIAL_FLOWS_DIR overrides)."""
    return shared_fixture_dir("official_flows")


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
