"""Parameter types with ranges, so every numeric option is checked when the command line is parsed.

click's `FloatRange` lets `nan` and `inf` through (comparisons with NaN are
false); `FiniteFloatRange` refuses them.
"""

import math

import click


class FiniteFloatRange(click.FloatRange):
    """A `click.FloatRange` that also refuses nan and inf."""

    name = "float range"

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


def positive_int():
    return click.IntRange(min=1)


def non_negative_int():
    return click.IntRange(min=0)


def non_negative_float():
    return FiniteFloatRange(min=0.0)


def positive_float():
    return FiniteFloatRange(min=0.0, min_open=True)


def fraction(max_open=False):
    """A float in [0, 1] (or [0, 1) with `max_open`)."""
    return FiniteFloatRange(min=0.0, max=1.0, max_open=max_open)
