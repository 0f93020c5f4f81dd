"""Option types taken from the library, so every numeric option is checked when the command line is parsed
against the range its library setting declares (`range_type`, `field_option`), with click's messages.

click's `FloatRange` lets `nan` and `inf` through (comparisons with NaN are
false); `FiniteFloatRange` refuses them, as `dvfl_tf.core.checks.Range` does.
"""

import json
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


def range_type(allowed):
    """The click type of a library `dvfl_tf.core.checks.Range`: the option refuses what the library refuses."""
    bounds = {"min": allowed.min, "max": allowed.max, "min_open": allowed.min_open, "max_open": allowed.max_open}
    return click.IntRange(**bounds) if allowed.integer else FiniteFloatRange(**bounds)


def field_option(config_class, name, flag=None, **kwargs):
    """A click option for the field `name` of a library dataclass: its default the field's (unless `default`
    says None: resolved later), its type from the class's `RANGES` or `CHOICES`."""
    field = config_class.__dataclass_fields__[name]
    if name in getattr(config_class, "RANGES", {}):
        kwargs.setdefault("type", range_type(config_class.RANGES[name]))
    elif name in getattr(config_class, "CHOICES", {}):
        kwargs.setdefault("type", click.Choice(config_class.CHOICES[name]))
    kwargs.setdefault("default", field.default)
    return click.option(flag or "--" + name.replace("_", "-"), name, **kwargs)


class VariadicOption(click.Option):
    """An option that takes every token after it up to the next `--option`, as the official
    `--opts KEY VALUE KEY VALUE ...` (argparse `nargs='+'`). Its value is a tuple of strings."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("type", click.UNPROCESSED)
        super().__init__(*args, **kwargs)

    def add_to_parser(self, parser, ctx):
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            parser_option = parser._long_opt.get(name)
            if parser_option is None:
                continue
            take_one = parser_option.process

            def process(value, state, take_one=take_one):
                values = [value]
                while state.rargs and not state.rargs[0].startswith("--"):
                    values.append(state.rargs.pop(0))
                take_one(tuple(values), state)

            parser_option.process = process


def parse_views(ctx, param, text):
    """The callback of --views: CLIPSxCROPS as (clips, crops)."""
    try:
        clips, crops = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"expected CLIPSxCROPS such as 4x3. Received: {text!r}") from None
    from dvfl_tf.data.clip_config import MAX_VIEW_CLIPS

    if clips < 1 or crops < 1:
        raise click.BadParameter(f"clips and crops must be at least 1. Received: {text!r}")
    if clips > MAX_VIEW_CLIPS or crops not in (1, 3):
        raise click.BadParameter(
            f"at most {MAX_VIEW_CLIPS} clips (each video's views are held in memory at once), and 1 or 3 crops. "
            f"Received: {text!r}"
        )
    return clips, crops


def parse_backbone_overrides(text):
    """--backbone-overrides: a JSON object of backbone arguments, or None when not given."""
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not valid JSON ({error})", param_hint="--backbone-overrides") from None
