"""The options that give an official `.pth` MODEL its architecture (`evaluate`, `visualize`)."""

import click

from dvfl_tf.cli.options import range_type
from dvfl_tf.core.checks import MODEL_SIZE
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS


def official_checkpoint_options(function):
    """--preset / --config / --num-classes / --trust-checkpoint: the architecture of an official `.pth` MODEL."""
    options = [
        click.option(
            "--preset",
            type=click.Choice(sorted(PRESETS)),
            default=None,
            help="Architecture of an official .pth MODEL (converted in memory).",
        ),
        click.option(
            "--config",
            "official_config",
            type=click.Path(exists=True, dir_okay=False),
            default=None,
            help="Instead of --preset: JSON file of the official VideoFocalNet constructor arguments of the .pth.",
        ),
        click.option(
            "--num-classes",
            type=range_type(MODEL_SIZE),
            default=None,
            help="Classes of the .pth head (default: from the checkpoint).",
        ),
        click.option(
            "--trust-checkpoint", is_flag=True, help="Allow full unpickling of the .pth (runs code from it!)."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function
