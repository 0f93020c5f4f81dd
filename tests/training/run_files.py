"""Reading a run folder's files from tests (what a user would look at after a run)."""

import json
import os


def epochs_done(output):
    """Epochs a run folder records as finished (state.json), 0 when it has none yet or it is being written."""
    try:
        with open(os.path.join(output, "state.json")) as f:
            return json.load(f).get("epochs_done", 0)
    except (OSError, ValueError):
        return 0
