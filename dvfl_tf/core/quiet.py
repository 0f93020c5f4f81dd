"""Hiding what native libraries print on stderr (TensorFlow's start-up lines, LiteRT's delegate notice).

They write to file descriptor 2 directly, before any log level applies, so
they are caught at the descriptor level. Shown when `DVFL_TF_VERBOSE` is set
(`dvfl-tf --verbose`), and replayed when the block raises, so an error's
explanation is never lost. No TensorFlow import here.
"""

import contextlib
import os
import sys
import tempfile


def verbose():
    return bool(os.environ.get("DVFL_TF_VERBOSE"))


@contextlib.contextmanager
def native_stderr_hidden():
    """Inside the block, what is written to fd 2 goes to a temporary file (replayed if the block raises)."""
    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreters): nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
