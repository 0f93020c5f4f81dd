"""The authors' config files read as the official `config.py` does (yacs).

`load_official_config(path, opts)` layers the values: the defaults of every key
(`official_config_defaults`), then the file (after the files its `BASE` list names,
relative to the file), then the `--opts` pairs. A key that is not an official key, a
value of the wrong type, or an odd `--opts` list is an `OfficialConfigError` naming the
file or `--opts` and the key.
"""

import ast
import copy
import os

from dvfl_tf.convert.official_config_defaults import OFFICIAL_DEFAULTS
from dvfl_tf.core.errors import UserError


class OfficialConfigError(UserError, ValueError):
    """A config file or --opts value the official code would refuse, or one dvfl-tf cannot run."""


class OfficialConfig:
    """The flattened official values (`values`) and where each came from (`sources`: default/file/opts)."""

    def __init__(self, path, values, sources):
        self.path = path
        self.values = values
        self.sources = sources

    def __getitem__(self, key):
        return self.values[key]

    def set_keys(self):
        """The keys that the file or --opts set (not left at their default)."""
        return [key for key in sorted(self.values) if self.sources[key] != "default"]


def _decode(value):
    """yacs `_decode_cfg_value`: a string that is a Python literal becomes it ('1e-4' -> 0.0001)."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _coerce(value, default, key, where):
    """yacs `_check_and_coerce_cfg_value_type`, also taking an int where a float is expected."""
    value = _decode(value)
    if isinstance(value, tuple):
        value = list(value)
    if default is None or value is None:
        if default is None and value is not None and not isinstance(value, list):
            raise OfficialConfigError(f"{where}: {key} expects a list or None. Received: {value!r}")
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        if type(value) is not type(default):
            raise OfficialConfigError(f"{where}: {key} expects true or false. Received: {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, list) and isinstance(value, list):
        return value
    if type(value) is not type(default):
        raise OfficialConfigError(
            f"{where}: {key} expects {type(default).__name__} (like {default!r}). Received: {value!r}"
        )
    return value


def _known(key):
    return key in OFFICIAL_DEFAULTS or key.startswith("MODEL.SPEC.")


def _flatten(tree, where, prefix=""):
    flat = {}
    if not isinstance(tree, dict):
        raise OfficialConfigError(f"{where}: expected a mapping of config sections. Received: {tree!r}")
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, where, key + "."))
        else:
            flat[key] = value
    return flat


def _read_yaml(path):
    import yaml  # noqa: PLC0415 (only the config commands need it)

    if not os.path.isfile(path):
        raise OfficialConfigError(f"{path}: config file not found")
    try:
        with open(path, encoding="utf-8") as handle:
            tree = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise OfficialConfigError(f"{path}: not valid YAML{line}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OfficialConfigError(f"{path}: cannot read the config file ({error})") from None
    return tree or {}


def _merge_file(values, sources, path, seen):
    real = os.path.realpath(path)
    if real in seen:
        raise OfficialConfigError(f"{path}: BASE files include each other")
    seen = seen | {real}
    tree = _read_yaml(path)
    flat = _flatten(tree, path)
    for base in flat.pop("BASE", None) or [""]:
        if base:
            _merge_file(values, sources, os.path.join(os.path.dirname(path), base), seen)
    for key, value in flat.items():
        if not _known(key):
            raise OfficialConfigError(f"{path}: unknown key {key} (not a key of the official config)")
        values[key] = _coerce(value, OFFICIAL_DEFAULTS.get(key, value), key, path)
        sources[key] = "file"


def load_official_config(path=None, opts=()):
    """The official config: defaults, then `path` (with its BASE files), then the `opts` KEY VALUE pairs."""
    values = copy.deepcopy(OFFICIAL_DEFAULTS)
    sources = dict.fromkeys(values, "default")
    if path:
        _merge_file(values, sources, path, frozenset())
    opts = list(opts or ())
    if len(opts) % 2:
        raise OfficialConfigError(f"--opts: expected KEY VALUE pairs. Received an odd list: {' '.join(opts)}")
    for key, text in zip(opts[::2], opts[1::2]):
        if not _known(key):
            raise OfficialConfigError(f"--opts: unknown key {key} (not a key of the official config)")
        values[key] = _coerce(text, OFFICIAL_DEFAULTS.get(key, text), key, "--opts")
        sources[key] = "opts"
    values.pop("BASE", None)
    sources.pop("BASE", None)
    return OfficialConfig(path, values, sources)
