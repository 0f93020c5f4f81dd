import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = pathlib.Path(__file__).resolve().parent


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
