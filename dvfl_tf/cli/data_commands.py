"""Data commands: `make-synthetic`, `check-data`, `prepare` (their dataset options: `cli.dataset_options`)."""

import json
import os

import click

from dvfl_tf.cli.dataset_options import dataset_kwargs, dataset_options
from dvfl_tf.cli.options import non_negative_int, positive_int


@click.command("make-synthetic")
@click.option("--output", required=True, type=click.Path(file_okay=False), help="Folder to write (HMDB51 layout).")
@click.option("--num-classes", type=click.IntRange(2, 26), default=None, help="Motion classes (default 8, at most 26).")
@click.option("--train-per-class", type=positive_int(), default=None, help="Training videos per class (default 24).")
@click.option("--test-per-class", type=positive_int(), default=None, help="Test videos per class (default 25).")
@click.option(
    "--unused-per-class", type=non_negative_int(), default=None, help="Videos tagged 0 (unused) per class (default 1)."
)
@click.option("--image-size", type=positive_int(), default=None, help="Frame width and height in pixels (default 64).")
@click.option("--num-frames", type=positive_int(), default=None, help="Frames per video (default 16).")
@click.option("--seed", type=non_negative_int(), default=None, help="Random seed (default 0).")
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
@click.option("--workers", type=positive_int(), default=2, show_default=True, help="Parallel decoding threads.")
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
@click.option(
    "--short-side", type=positive_int(), default=256, show_default=True, help="Frames stored with this short side."
)
@click.option("--format", "image_format", type=click.Choice(["jpeg", "png"]), default="jpeg", show_default=True)
@click.option("--quality", type=click.IntRange(0, 100), default=90, show_default=True, help="JPEG quality.")
@click.option("--videos-per-shard", type=positive_int(), default=64, show_default=True)
@click.option("--workers", type=positive_int(), default=2, show_default=True, help="Parallel decoding threads.")
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
