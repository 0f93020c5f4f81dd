"""`dvfl-tf visualize`: a thin wrapper over dvfl_tf.evaluation.visualize."""

import os

import click

from dvfl_tf.cli.checkpoint_options import official_checkpoint_options
from dvfl_tf.cli.options import range_type
from dvfl_tf.evaluation.modulator_pictures import DEFAULT_FPS, FPS


@click.command("visualize")
@click.argument("video", required=False, type=click.Path(dir_okay=False))
@click.option("--model", "model_path", required=True, help="A .keras classifier or an official .pth checkpoint.")
@official_checkpoint_options
@click.option(
    "--input-npy",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Instead of VIDEO: a normalised clip in the official layout (batch, frames, channels, height, width).",
)
@click.option(
    "--blocks",
    default="last",
    show_default=True,
    help="Blocks to draw: 'last', 'all', or a comma-separated list such as 2.0,3.0 (layers.I.blocks.J).",
)
@click.option(
    "--arrays",
    is_flag=True,
    help="Also write modulators.npz: the four tensors of every block, official key names and layouts.",
)
@click.option(
    "--fps", type=range_type(FPS), default=DEFAULT_FPS, show_default=True, help="Frames per second of the GIF."
)
@click.option("--output", required=True, help="Folder for modulators.png, modulators.gif (and modulators.npz).")
@click.option("--overwrite", is_flag=True, help="Replace files of an earlier run in --output.")
def visualize(video, model_path, input_npy, blocks, arrays, fps, output, overwrite, **checkpoint):
    """The focal modulators of MODEL on VIDEO: spatial and temporal modulator magnitude and gate maps of
    chosen blocks over the frames, as a PNG grid and an animated GIF."""
    from dvfl_tf.core.io_safety import check_output
    from dvfl_tf.evaluation.visualize import (
        clip_from_npy,
        clip_from_video_file,
        load_classifier,
        output_files,
        visualize,
    )

    if (video is None) == (input_npy is None):
        raise click.UsageError("Give exactly one of VIDEO or --input-npy.")
    if video is not None and not os.path.isfile(video):
        raise click.BadParameter(f"{video}: file not found", param_hint="VIDEO")
    inputs = (model_path, video, input_npy, checkpoint["official_config"])
    for path in output_files(output, arrays):
        check_output(path, overwrite=overwrite, inputs=inputs, option="--output")
    model = load_classifier(model_path, **checkpoint)
    clips = clip_from_npy(input_npy, model) if input_npy else clip_from_video_file(video, model)
    result = visualize(model, clips, output, blocks=blocks, arrays=arrays, fps=fps)
    click.echo(f"Modulators of {', '.join(result['blocks'])}: {', '.join(result['files'])}")
