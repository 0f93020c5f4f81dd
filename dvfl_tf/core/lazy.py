"""Lazy package exports, so importing a package does not import TensorFlow until a name is used."""

import importlib


def lazy_getattr(package, exports):
    """A module-level `__getattr__` for `package` resolving `exports` ({name: module path}) on first use."""

    def __getattr__(name):
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
