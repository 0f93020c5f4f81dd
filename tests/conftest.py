import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def parity_dir():
    """The official-model fixtures (../shared/parity beside the clone; DVFL_PARITY_DIR overrides)."""
    path = pathlib.Path(os.environ.get("DVFL_PARITY_DIR", REPO_ROOT.parent / "shared" / "parity"))
    if not (path / "tiny" / "checkpoint.pth").exists():
        pytest.fail(f"Parity fixtures not found at {path} (set DVFL_PARITY_DIR)")
    return path
