"""`--cfg FILE --opts KEY VALUE ... --print-config` on `train`, `distill` and `evaluate`, and the options that
give the official recipe's settings one by one (`--frame-interval`, `--flip-ratio`, `--warmup-lr`, ...).

The settings of a run are resolved in one place (`resolve_cli_settings`): the official defaults, the file
and `--opts` (`dvfl_tf.convert.official_run_config`) when `--cfg` is given, else dvfl-tf's own defaults;
then every option given on the command line. `--print-config` prints them as one JSON object with the
source of each value and exits.
"""

import json
import sys

import click
from click.core import ParameterSource

from dvfl_tf.cli.options import VariadicOption, field_option, range_type
from dvfl_tf.convert.official_run_config import WORLD_SIZE
from dvfl_tf.data.augment import AugmentConfig, MixupConfig
from dvfl_tf.data.clip_config import DataOptions
from dvfl_tf.training.train_config import TrainConfig, scaled_learning_rate

# Command-line parameter -> setting name, where they differ.
_SETTING_OF_PARAMETER = {"mixup_alpha": "mixup", "cutmix_alpha": "cutmix"}


def config_options(function):
    """--cfg, --opts, --print-config and --world-size."""
    options = [
        click.option(
            "--cfg",
            default=None,
            help="An official Video-FocalNets / DVFL-Net config file (YAML); its paths are relative to the "
            "working directory. Options given on the command line win over it.",
        ),
        click.option(
            "--opts",
            cls=VariadicOption,
            default=(),
            help="KEY VALUE pairs over the config file, as the official scripts take them "
            "(e.g. --opts TRAIN.EPOCHS 3 KD.TEMPERATURE 4).",
        ),
        click.option(
            "--print-config",
            is_flag=True,
            help="Print the resolved settings and where each came from (JSON), and exit without running.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _recipe_option(flag, config_class, field, help):
    """An option for a field of the augmentation or mixup recipe; None (not given) leaves the recipe's value."""
    return click.option(flag, type=range_type(config_class.RANGES[field]), default=None, help=help)


def recipe_options(function):
    """The official recipe's training settings that have no older dvfl-tf option."""
    options = [
        click.option(
            "--world-size",
            type=range_type(WORLD_SIZE),
            default=1,
            show_default=True,
            help="With --cfg: GPUs of the official run to follow (torchrun --nproc_per_node; the paper: 3). The "
            "global batch is DATA.BATCH_SIZE x this, and the learning rates scale with it.",
        ),
        field_option(TrainConfig, "warmup_lr", help="Official warm-up start LR."),
        # None: resolved (segment and 4 without --cfg, the file's with it).
        field_option(DataOptions, "sampling", default=None, help="Frame sampling (default segment; --cfg: official)."),
        field_option(DataOptions, "frame_interval", default=None, help="Frame interval (dense/official)."),
        # None: the official recipe's (AugmentConfig / MixupConfig), or the file's with --cfg.
        _recipe_option("--flip-ratio", AugmentConfig, "flip_prob", "Horizontal-flip probability."),
        _recipe_option("--color-jitter", AugmentConfig, "color_jitter_prob", "Colour-jitter probability."),
        _recipe_option("--gray-scale", AugmentConfig, "grayscale_prob", "Grey-scale probability."),
        _recipe_option("--mixup-alpha", MixupConfig, "mixup_alpha", "Mixup alpha (0: no blending)."),
        _recipe_option("--cutmix-alpha", MixupConfig, "cutmix_alpha", "CutMix alpha."),
        _recipe_option("--mixup-prob", MixupConfig, "prob", "Chance that a batch is blended."),
        _recipe_option("--mixup-switch-prob", MixupConfig, "switch_prob", "Chance of CutMix over mixup."),
        _recipe_option("--label-smoothing", MixupConfig, "label_smoothing", "Label smoothing."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def explicit_options(ctx, kwargs):
    """The options given on the command line (not left at their defaults), by setting name."""
    explicit = {}
    for name, value in kwargs.items():
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            explicit[_SETTING_OF_PARAMETER.get(name, name)] = value
    return explicit


def _dvfl_defaults(kwargs, job):
    """dvfl-tf's own settings when no --cfg is given (the values the options hold)."""

    augment, mixup = AugmentConfig(), MixupConfig()
    mixing = bool(kwargs.get("mixup")) or any(
        kwargs.get(name) is not None for name in ("mixup_alpha", "cutmix_alpha", "mixup_prob", "mixup_switch_prob")
    )
    settings = {
        "num_frames": kwargs.get("num_frames"),
        "image_size": kwargs.get("image_size"),
        "sampling": DataOptions.sampling,
        "frame_interval": DataOptions.frame_interval,
        "views": list(kwargs["views"]) if "views" in kwargs else [1, 1],
    }
    if job == "evaluate":
        return settings
    settings.update(
        epochs=kwargs["epochs"],
        warmup_epochs=kwargs["warmup_epochs"],
        world_size=1,
        batch_size=kwargs["batch_size"],
        global_batch_size=kwargs["batch_size"],
        base_lr=kwargs["base_lr"],
        lr=kwargs["lr"] or scaled_learning_rate(kwargs["base_lr"], kwargs["batch_size"]),
        warmup_lr=None,
        min_lr=kwargs["min_lr"],
        weight_decay=kwargs["weight_decay"],
        optimizer=kwargs["optimizer"],
        momentum=TrainConfig.momentum,
        clipnorm=kwargs["clipnorm"],
        seed=kwargs["seed"],
        flip_ratio=augment.flip_prob,
        color_jitter=augment.color_jitter_prob,
        gray_scale=augment.grayscale_prob,
        mixup=mixup.mixup_alpha if mixing else 0.0,
        cutmix=mixup.cutmix_alpha if mixing else 0.0,
        mixup_prob=mixup.prob,
        mixup_switch_prob=mixup.switch_prob,
        label_smoothing=mixup.label_smoothing if mixing else 0.0,
        drop_path_rate=kwargs.get("drop_path_rate"),
    )
    if job == "distill":
        settings.update(temperature=kwargs["temperature"], alpha=kwargs["alpha"])
    return settings


def resolve_cli_settings(ctx, kwargs, job):
    """The resolved settings of a `train` / `distill` / `evaluate` command line (see the module docstring)."""
    from dvfl_tf.convert.official_config_file import load_official_config
    from dvfl_tf.convert.official_run_config import resolve_settings

    explicit = explicit_options(ctx, kwargs)
    if "mixup" in explicit and explicit["mixup"] is False:
        explicit["mixup"] = 0.0  # --no-mixup
    elif isinstance(explicit.get("mixup"), bool):
        explicit.pop("mixup")  # --mixup: blend with the recipe's alphas
    # Not settings of the file (--backbone-overrides is merged over MODEL.FOCAL by the command).
    for name in ("cfg", "opts", "print_config", "output", "views", "backbone_overrides"):
        explicit.pop(name, None)
    if "views" in kwargs and ctx.get_parameter_source("views") == ParameterSource.COMMANDLINE:
        explicit["views"] = list(kwargs["views"])
    if kwargs.get("cfg"):
        config = load_official_config(kwargs["cfg"], kwargs.get("opts") or ())
        resolved = resolve_settings(config, job, explicit, world_size=kwargs.get("world_size") or 1)
        resolved["opts"] = list(kwargs.get("opts") or ())
        return resolved
    if kwargs.get("opts"):
        raise click.UsageError("--opts changes the keys of a config file: give --cfg FILE too.")
    settings = _dvfl_defaults(kwargs, job)
    sources = dict.fromkeys(settings, "default")
    for name, value in explicit.items():
        if name in settings or value is not None:
            settings[name], sources[name] = value, "option"
    if job != "evaluate" and "lr" not in explicit and ("base_lr" in explicit or "batch_size" in explicit):
        sources["lr"] = "option"
    return {
        "config_file": None,
        "job": job,
        "settings": settings,
        "sources": sources,
        "official_keys": {},
        "no_effect": [],
        "notes": [],
    }


def print_config(resolved):
    click.echo(json.dumps(resolved, indent=2))


def report_unused(resolved):
    """One line on stderr for each key without effect, and each note (a run states what it maps and what not)."""
    for entry in resolved["no_effect"]:
        print(f"dvfl-tf: {entry['key']} = {entry['value']!r} has no effect: {entry['reason']}.", file=sys.stderr)
    for note in resolved["notes"]:
        print(f"dvfl-tf: {note}.", file=sys.stderr)


def augment_and_mixup(settings, augment_names=("flip_ratio", "color_jitter", "gray_scale")):
    """`DataOptions.augment` and `.mixup` of resolved settings (dicts of `AugmentConfig` / `MixupConfig` fields).

    `augment_names`: the augmentation settings to set (the others keep the dataset's official recipe, e.g. no
    flip for ssv2)."""
    augment = {}
    if "flip_ratio" in augment_names and settings.get("flip_ratio") is not None:
        augment.update(flip=settings["flip_ratio"] > 0, flip_prob=settings["flip_ratio"])
    if "color_jitter" in augment_names and settings.get("color_jitter") is not None:
        augment["color_jitter_prob"] = settings["color_jitter"]
    if "gray_scale" in augment_names and settings.get("gray_scale") is not None:
        augment["grayscale_prob"] = settings["gray_scale"]
    mixup_alpha = settings.get("mixup") or 0.0
    smoothing = settings.get("label_smoothing") or 0.0
    if mixup_alpha > 0:
        mixup = {
            "mixup_alpha": mixup_alpha,
            "cutmix_alpha": settings.get("cutmix") or 0.0,
            "prob": settings.get("mixup_prob", 1.0),
            "switch_prob": settings.get("mixup_switch_prob", 0.5),
            "label_smoothing": smoothing,
        }
    elif smoothing > 0:  # label smoothing without blending
        mixup = {"mixup_alpha": 0.0, "cutmix_alpha": 0.0, "label_smoothing": smoothing}
    else:
        mixup = False
    return augment, mixup
