"""The allowed range of a numeric setting, declared once where the setting is defined.

A library object declares `Range`s for its numeric settings and checks them (`check_ranges`, a `ValueError`
that names the setting and ends in "Received: name=value"); the command line builds the type of the matching
option from the same `Range` (`dvfl_tf.cli.options.range_type`), so an option and its library setting
cannot disagree on what is allowed.
"""

import dataclasses
import math
import numbers


@dataclasses.dataclass(frozen=True)
class Range:
    """Numbers between `min` and `max` (either may be None: unbounded), integers only with `integer`.

    None always passes (an optional setting left to its default); nan and inf never do.
    """

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    integer: bool = False

    def describe(self):
        """The range as click writes it ("x>=1", "0.0<=x<1.0")."""
        low = "" if self.min is None else f"{self.min}{'<' if self.min_open else '<='}"
        high = "" if self.max is None else f"{'<' if self.max_open else '<='}{self.max}"
        if self.min is not None and self.max is None:
            return f"x{'>' if self.min_open else '>='}{self.min}"
        return f"{low}x{high}"

    def contains(self, value):
        if value is None:
            return True
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.integer and not isinstance(value, numbers.Integral):
            return False
        if not math.isfinite(value):
            return False
        if self.min is not None and (value < self.min or (self.min_open and value == self.min)):
            return False
        return self.max is None or not (value > self.max or (self.max_open and value == self.max))

    def check(self, name, value):
        """Raise a `ValueError` naming `name` unless `value` is in the range."""
        if not self.contains(value):
            kind = "an integer" if self.integer else "a finite number"
            raise ValueError(f"`{name}` must be {kind} in the range {self.describe()}. Received: {name}={value!r}")
        return value


def at_least(minimum):
    """Integers >= `minimum`."""
    return Range(min=minimum, integer=True)


def non_negative():
    return Range(min=0.0)


def positive():
    return Range(min=0.0, min_open=True)


def fraction(max_open=False):
    """A probability: [0, 1] (or [0, 1) with `max_open`)."""
    return Range(min=0.0, max=1.0, max_open=max_open)


# The model family's sizes (classes, frames, frame size, widths...) and drop rates: the layers of
# dvfl_tf.models check their arguments with these, and the command-line options that set them take them.
MODEL_SIZE = at_least(1)
DROP_RATE = fraction(max_open=True)


def check_choice(name, value, choices):
    """Raise a `ValueError` naming `name` unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}. Received: {name}={value!r}")
    return value


def check_ranges(values, ranges):
    """Check each `ranges` entry {name: Range} against `values` (a mapping, or an object's attributes)."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    for name, allowed in ranges.items():
        allowed.check(name, get(name))
