"""The `dvfl-tf` command line: a click group whose commands load lazily.

Each command lives in a module of this package and is a thin wrapper over a
library function. Loading is lazy so that `dvfl-tf --help` and data-only
commands do not pay for importing TensorFlow.

Errors are handled here, once for every command: a problem with what the user
gave (`dvfl_tf.core.errors.UserError`, an OS error on a named file, a ValueError
from argument checks) is printed as one line and exit status 1; `--debug`
shows the traceback instead. `--verbose` lets TensorFlow's start-up and
converter logs through (hidden by default).
"""

import importlib
import os
import sys
import warnings

import click

# command name -> "module:attribute" (module relative to dvfl_tf.cli)
COMMANDS = {
    "convert-checkpoint": "model_commands:convert_checkpoint",
    "profile": "model_commands:profile",
    "benchmark": "benchmark_commands:benchmark",
    "export-tflite": "export_commands:export_tflite_command",
    "predict": "export_commands:predict_command",
    "make-synthetic": "data_commands:make_synthetic_command",
    "check-data": "data_commands:check_data_command",
    "prepare": "data_commands:prepare_command",
    "train": "train_commands:train",
    "distill": "train_commands:distill",
    "evaluate": "evaluate_commands:evaluate",
    "quickstart": "train_commands:quickstart",
    "cache-teacher": "train_commands:cache_teacher",
    "visualize": "visualize_commands:visualize",
}

# Commands that import TensorFlow (predict only for a .keras model; benchmark's harness always does).
TENSORFLOW_COMMANDS = {
    "benchmark",
    "convert-checkpoint",
    "profile",
    "export-tflite",
    "prepare",
    "train",
    "distill",
    "evaluate",
    "quickstart",
    "cache-teacher",
    "visualize",
}

# Set by --debug / --verbose (on the group or on any command).
FLAGS = {"debug": False, "verbose": False}


def _set_flag(ctx, param, value):
    if value:
        FLAGS[param.name] = True
        if param.name == "verbose":
            _set_log_levels(verbose=True)
    return value


def _global_options():
    return [
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            callback=_set_flag,
            help="On an error, show the Python traceback instead of one line.",
        ),
        click.Option(
            ["--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_set_flag,
            help="Show TensorFlow's start-up and converter logs (hidden by default).",
        ),
    ]


def _set_log_levels(verbose):
    """TensorFlow's C++ and Python logs: warnings and errors only when verbose, else errors only.

    Set before TensorFlow is imported (commands import it lazily), so the
    start-up banners never print; the Python side is lowered again if it was.
    """
    _set_warning_filters(verbose)
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        os.environ["DVFL_TF_VERBOSE"] = "1"  # read by the library (converter output)
    else:  # a level the user set in the environment wins; 3 also hides "failed call to cuInit" on CPU machines
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        import logging

        logging.getLogger("tensorflow").setLevel(logging.INFO if verbose else logging.ERROR)


def _set_warning_filters(verbose):
    """Python warnings of other packages (TensorFlow's converter, Keras) only with --verbose; dvfl-tf's own always.

    A filter the user set (`python -W`, PYTHONWARNINGS) wins.
    """
    if sys.warnoptions:
        return
    warnings.simplefilter("default" if verbose else "ignore")
    warnings.filterwarnings("default", module="dvfl_tf")
    warnings.showwarning = _show_warning


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """dvfl-tf's own warnings as one line, `Warning: ...`; others as Python shows them (with --verbose)."""
    from dvfl_tf.core.errors import OneLineWarning

    if issubclass(category, OneLineWarning):
        (file or sys.stderr).write(f"Warning: {message}\n")
    else:
        (file or sys.stderr).write(warnings.formatwarning(message, category, filename, lineno, line))


class LazyGroup(click.Group):
    def main(self, *args, standalone_mode=True, **kwargs):
        """click's main, but a usage error (bad option, bad value) is one `Error:` line, without click's
        "Usage: ... / Try '... --help'" lines above it; the exit status stays click's (2)."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            # Not standalone, click returns a command's value or an Exit's code (--help, ctx.exit(n)).
            status = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.UsageError as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.exceptions.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)

    def make_context(self, info_name, args, parent=None, **extra):
        FLAGS.update(debug=False, verbose=False)  # each invocation starts quiet (tests call main many times)
        return super().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        names = {param.name for param in command.params}
        command.params.extend(option for option in _global_options() if option.name not in names)
        return command

    def invoke(self, ctx):
        try:
            _supervise_multi_worker(ctx)
            _import_tensorflow_quietly(ctx)
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt as error:
            from dvfl_tf.core.errors import StopSignal

            if isinstance(error, StopSignal):  # SIGTERM/SIGINT during a multi-worker run: one line, status 1
                raise click.ClickException(str(error)) from None
            raise click.exceptions.Abort() from None
        except Exception as error:  # noqa: BLE001 - the one place user errors become one line
            if FLAGS["debug"]:
                raise
            raise click.ClickException(_one_line(error, self._invoked_command(ctx))) from None

    def _invoked_command(self, ctx):
        name = ctx.invoked_subcommand or next(iter(_command_line(ctx)), None)
        return self.get_command(ctx, name) if name else None


def _command_line(ctx):
    """The group's unparsed tokens: the subcommand's name, then its arguments.

    Click 8.2 keeps the name in `protected_args`, which it marks deprecated (Click 9 folds it into `args`):
    read without the DeprecationWarning, which would otherwise reach the user's terminal.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [str(a) for a in list(getattr(ctx, "protected_args", [])) + list(ctx.args)]


def _asks_multi_worker(args):
    """True when the options say `--strategy multi_worker` (a path or value merely containing the word does not)."""
    return "--strategy=multi_worker" in args or any(
        name == "--strategy" and value == "multi_worker" for name, value in zip(args, args[1:])
    )


def _supervise_multi_worker(ctx):
    """A multi-worker `train`/`distill` runs in a child process that this one can stop (see `run_supervised`)."""
    args = _command_line(ctx)
    if not args or args[0] not in ("train", "distill") or not _asks_multi_worker(args[1:]):
        return
    from dvfl_tf.training.cluster import SUPERVISED_ENV, read_tf_config, run_supervised

    if os.environ.get(SUPERVISED_ENV) or {"-h", "--help", "--print-config"} & set(args):
        return
    read_tf_config()  # a TF_CONFIG mistake is one line from here, before a run is started
    flags = [f"--{name}" for name in ("debug", "verbose") if FLAGS[name] and f"--{name}" not in args]
    sys.exit(run_supervised(args + flags))


def _import_tensorflow_quietly(ctx):
    """Imports TensorFlow with its C++ stderr captured, for commands that will import it anyway.

    TensorFlow's native start-up lines ("All log messages before
    absl::InitializeLog()", "Could not find cuda drivers") are written before
    any log level applies, so they are caught at the file-descriptor level.
    They are shown again if the import fails, and never hidden with --verbose.
    """
    args = _command_line(ctx)
    quick = {"-h", "--help", "--verbose", "--print-config"}  # --print-config reads a config file only
    if not args or FLAGS["verbose"] or "tensorflow" in sys.modules or quick & set(args):
        return
    _set_log_levels(verbose=False)
    needs = args[0] in TENSORFLOW_COMMANDS or (
        args[0] == "predict" and any(str(a).endswith(".keras") for a in args[1:])
    )
    if not needs:
        return
    from dvfl_tf.core.quiet import native_stderr_hidden

    with native_stderr_hidden():
        import tensorflow  # noqa: F401


def _one_line(error, command):
    """The one line a user sees for `error` raised inside `command`."""
    from dvfl_tf.core.errors import UserError, first_line

    if isinstance(error, UserError):
        # Multi-line user errors (a checkpoint that does not fit: one line per tensor) keep their lines.
        message = str(error).strip() or type(error).__name__
        flag = error.advice_flag
        if flag:
            has_flag = command is not None and any(flag in param.opts for param in command.params)
            if has_flag:
                message += f" If you trust the file, pass {flag}."
            elif error.advice_command:
                message += f" If you trust the file, convert it with `dvfl-tf {error.advice_command} {flag}` first."
        return message
    if isinstance(error, OSError):
        name = error.filename if error.filename is not None else ""
        reason = error.strerror or first_line(error)
        return f"{name}: {reason}" if name else reason
    if isinstance(error, (ValueError, ImportError)):  # ImportError: a runtime package missing or mismatched
        return first_line(error)
    return (
        f"internal error ({type(error).__name__}: {first_line(error)}); "
        "rerun with --debug for the traceback and report it"
    )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, params=_global_options())
@click.version_option(package_name="dvfl-tf")
def main():
    """DVFL-Net: distilled Video-FocalNets for mobile and edge devices."""
    _set_log_levels(FLAGS["verbose"])


if __name__ == "__main__":
    main()
