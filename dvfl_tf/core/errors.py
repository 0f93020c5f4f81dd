"""The one error type for problems with what the user gave (a file, an option, a folder).

The CLI prints a `UserError` as one line (`Error: ...`) and exits with status 1;
`dvfl-tf --debug` shows the traceback instead. Library errors that are the
user's to fix (a corrupt checkpoint, a dataset layout, an export refusal)
subclass it, so the CLI needs a single handler. No TensorFlow import here.
"""


class UserError(Exception):
    """A problem the user can fix; the message names the file or option and what is wrong.

    `advice_flag`: a CLI flag that would get past the problem (e.g.
    "--trust-checkpoint"). The CLI advises it only on a command that has the
    flag, and otherwise says which command does.
    """

    advice_flag = None
    advice_command = None  # the command that has `advice_flag`, for commands that lack it

    def __init__(self, message, advice_flag=None, advice_command=None):
        super().__init__(message)
        if advice_flag is not None:
            self.advice_flag = advice_flag
        if advice_command is not None:
            self.advice_command = advice_command


class ModelFileError(UserError, ValueError):
    """A model file (.keras, .tflite) that is missing, truncated, corrupt or of the wrong kind."""


class MissingModelFileError(ModelFileError, FileNotFoundError):
    """A model file that does not exist (also a FileNotFoundError, for callers that catch that)."""


def first_line(error):
    """The first non-empty line of an exception's message (library messages can run to pages)."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__


class StopSignal(KeyboardInterrupt):
    """SIGTERM or SIGINT received during a run (a BaseException, so no `except Exception` swallows it).

    The CLI prints its message as one line and exits non-zero.
    """


class OneLineWarning(UserWarning):
    """A warning the CLI prints as one line, `Warning: ...` (what is unusual, and what was done about it)."""
