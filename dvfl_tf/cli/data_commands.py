"""Data commands: `make-synthetic`, `check-data`, `prepare` (their dataset options: `cli.dataset_options`)."""

import json
import os

import click

from dvfl_tf.cli.dataset_options import dataset_kwargs, dataset_options
from dvfl_tf.cli.options import range_type
from dvfl_tf.data.cache_settings import CACHE_DEFAULTS, CACHE_RANGES, IMAGE_FORMATS
from dvfl_tf.data.synthetic import DEFAULTS, MAX_CLASSES, SIZE_RANGES


def _size_option(flag, help):
    """A size option of the synthetic dataset: its type from `SIZE_RANGES`; None keeps the generator's default."""
    return click.option(flag, type=range_type(SIZE_RANGES[flag[2:].replace("-", "_")]), default=None, help=help)


def _cache_option(flag, **kwargs):
    """A setting of the frame cache (and check-data's --workers): type and default from `cache_settings`."""
    name = flag[2:].replace("-", "_")
    return click.option(
        flag, type=range_type(CACHE_RANGES[name]), default=CACHE_DEFAULTS[name], show_default=True, **kwargs
    )


@click.command("make-synthetic")
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Folder to write (HMDB51 layout).")
@_size_option("--num-classes", f"Motion classes (default {DEFAULTS['num_classes']}, at most {MAX_CLASSES}).")
@_size_option("--train-per-class", f"Training videos per class (default {DEFAULTS['train_per_class']}).")
@_size_option("--test-per-class", f"Test videos per class (default {DEFAULTS['test_per_class']}).")
@_size_option("--unused-per-class", f"Videos tagged 0 (unused) per class (default {DEFAULTS['unused_per_class']}).")
@_size_option("--image-size", f"Frame width and height in pixels (default {DEFAULTS['image_size']}).")
@_size_option("--num-frames", f"Frames per video (default {DEFAULTS['num_frames']}).")
@_size_option("--seed", f"Random seed (default {DEFAULTS['seed']}).")
@click.option("--overwrite", is_flag=True, help="Make the dataset again if --output holds one with other options.")
def make_synthetic_command(output, overwrite, **size_options):
    """Write the synthetic motion dataset: real .avi files + official-format HMDB51 split files."""
    from dvfl_tf.core.errors import UserError
    from dvfl_tf.core.io_safety import check_output_dir
    from dvfl_tf.data.synthetic import ensure_synthetic, synthetic_mismatch

    # A synthetic dataset (synthetic.json) with the same options is reused; one with other options is made again
    # only with --overwrite; any other non-empty folder is refused.
    check_output_dir(output, marker="synthetic.json")
    mismatch = synthetic_mismatch(output, **size_options)
    if mismatch and not overwrite:
        raise UserError(
            f"--output {output}: holds a synthetic dataset made with other options ({mismatch}); pass --overwrite "
            "to make it again with these, or choose another folder"
        )
    existed = os.path.isfile(os.path.join(output, "synthetic.json")) and not mismatch
    root = ensure_synthetic(output, progress=True, overwrite=overwrite, **size_options)
    what = "already there, made with these options" if existed else "ready"
    click.echo(f"synthetic dataset {what}: {root}  (read it with --dataset hmdb51 --data-root {root})")


@click.command("check-data")
@dataset_options(required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (num_classes, splits, problems).")
@click.option("--no-decode", is_flag=True, help="Only check the layout and that listed files exist.")
@_cache_option("--workers", help="Parallel decoding threads.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any problem is found.")
def check_data_command(as_json, no_decode, workers, strict, **options):
    """Scan a dataset: layout, split membership, and a full decode of every video."""
    from dvfl_tf.data.check import check_data

    report = check_data(**dataset_kwargs(options), decode=not no_decode, workers=workers, progress=not as_json)
    if as_json:
        click.echo(json.dumps(report))
    else:
        from dvfl_tf.data.check import summary_lines

        click.echo("\n".join(summary_lines(report, max_listed=len(report["problems"]))))
    if strict and report["problems"]:
        raise SystemExit(1)


@click.command("prepare")
@dataset_options(required=True)
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Cache folder to write.")
@_cache_option("--short-side", help="Frames stored with this short side.")
@click.option(
    "--format",
    "image_format",
    type=click.Choice(IMAGE_FORMATS),
    default=CACHE_DEFAULTS["image_format"],
    show_default=True,
)
@_cache_option("--quality", help="JPEG quality.")
@_cache_option("--videos-per-shard")
@_cache_option("--workers", help="Parallel decoding threads.")
def prepare_command(output, short_side, image_format, quality, videos_per_shard, workers, **options):
    """Decode every video once into sharded TFRecords (resumable: finished shards are kept)."""
    from dvfl_tf.core.io_safety import check_output_dir
    from dvfl_tf.data.cache import prepare_cache

    # A cache folder (manifest.json) resumes; any other non-empty folder, or the dataset itself, is refused.
    check_output_dir(output, marker="manifest.json", inputs=(options.get("data_root"),))
    summary = prepare_cache(
        **dataset_kwargs(options),
        output=output,
        short_side=short_side,
        image_format=image_format,
        quality=quality,
        videos_per_shard=videos_per_shard,
        workers=workers,
    )
    click.echo(
        f"cache {os.path.abspath(output)}: {summary['num_videos']} videos in {summary['shards']} shards "
        f"({summary['shards_already_done']} shards were already done)"
    )
    for problem in summary["problems"]:
        click.echo(f"  skipped {problem['path']}: {problem['reason']}", err=True)
    click.echo(f"read it with ClipDatasetConfig(..., cache_dir={os.path.abspath(output)!r}) (or a --cache-dir option)")
