"""`dvfl-tf evaluate`: a thin wrapper over dvfl_tf.evaluation."""

import json
import os

import click

from dvfl_tf.cli.checkpoint_options import official_checkpoint_options
from dvfl_tf.cli.config_options import config_options, print_config, report_unused, resolve_cli_settings
from dvfl_tf.cli.dataset_options import clip_options, data_option_values
from dvfl_tf.cli.options import parse_views
from dvfl_tf.data.clip_config import VIEW_PROTOCOLS


@click.command("evaluate")
@click.argument("model", required=False)
@clip_options
@click.option(
    "--views", default="1x1", show_default=True, callback=parse_views, help="Temporal clips x spatial crops, e.g. 4x3."
)
@click.option(
    "--view-protocol",
    type=click.Choice(VIEW_PROTOCOLS),
    default="dvfl-tf",
    show_default=True,
    help="official: the official code's test views for --views (TEST.NUM_CLIP x TEST.NUM_CROP): its frame choice "
    "(random frames per clip when CLIPS > 1, seeded), resize and crops (docs/training.md).",
)
@click.option("--eval-split", default="test", show_default=True)
@click.option("--output", default=None, help="Folder for evaluation.json and confusion_matrix.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report.")
@click.option("--overwrite", is_flag=True, help="Replace an evaluation.json / confusion_matrix.png already there.")
@official_checkpoint_options
@config_options
@click.pass_context
def evaluate(ctx, model, views, view_protocol, eval_split, output, as_json, overwrite, **kwargs):
    """Evaluate MODEL (.keras, .tflite, or an official .pth with --preset or --config): top-1/top-5,
    per-class accuracy, confusion matrix.

    With --cfg, the data are the file's DATA.VAL_FILE list and the views TEST.NUM_CLIP x TEST.NUM_CROP,
    taken as the official code takes them (--view-protocol official unless given).
    """
    resolved = resolve_cli_settings(ctx, {**kwargs, "views": views}, "evaluate")
    if kwargs.pop("print_config"):
        print_config(resolved)
        ctx.exit(0)
    cfg = kwargs.pop("cfg")
    kwargs.pop("opts")
    settings = resolved["settings"]
    model = model or settings.get("resume")
    if not model:
        raise click.UsageError("Missing argument 'MODEL' (or MODEL.RESUME in --cfg).")
    data = data_option_values(kwargs)
    if cfg:
        report_unused(resolved)
        views, eval_split, view_protocol = _follow_config_file(ctx, settings, data, kwargs, eval_split, view_protocol)
    from dvfl_tf.data.data_options import DataOptions
    from dvfl_tf.evaluation.evaluate import evaluate as evaluate_model

    checkpoint = _checkpoint(kwargs, model, settings if cfg else None)
    batch_size = kwargs.pop("batch_size")
    data = DataOptions(eval_split=eval_split, **data, **kwargs)
    output = _checked_output(model, output, overwrite)
    report = evaluate_model(
        model,
        data,
        views=views,
        batch_size=batch_size,
        output_dir=output,
        checkpoint=checkpoint,
        view_protocol=view_protocol,
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(
            f"{model}: top-1 {report['top1']:.4f}  top-5 {report['top5']:.4f}  ({report['videos']} videos, "
            f"views {views[0]}x{views[1]}, {view_protocol}); report in {output}"
        )


def _follow_config_file(ctx, settings, data, kwargs, eval_split, view_protocol):
    """With --cfg: its data list, views and clip settings (updating `data` and `kwargs`).

    Returns (views, eval_split, view_protocol); an option given on the command line wins.
    """
    views = tuple(settings["views"])
    given = click.core.ParameterSource.COMMANDLINE
    if settings["dataset"] == "list":
        data.update(
            dataset="list",
            data_root=settings["data_root"],
            index_options={
                "lists": {"train": settings["train_file"], "val": settings["val_file"]},
                "class_names_file": settings["label_list"],
                "name": settings["dataset_name"],
            },
        )
        eval_split = "val" if ctx.get_parameter_source("eval_split") != given else eval_split
    if ctx.get_parameter_source("view_protocol") != given:
        view_protocol = "official"
    # The official single-view sampling; several clips are spread by segment sampling.
    kwargs.update(
        num_frames=settings["num_frames"],
        image_size=settings["image_size"],
        sampling="official" if views == (1, 1) else "segment",
        frame_interval=settings["frame_interval"],
    )
    return views, eval_split, view_protocol


def _checkpoint(kwargs, model, cfg_settings):
    """The checkpoint options (popped from `kwargs`); an official .pth with --cfg takes MODEL.* from the file."""
    from dvfl_tf.evaluation.classifier_loading import is_checkpoint

    checkpoint = {name: kwargs.pop(name) for name in ("preset", "official_config", "num_classes", "trust_checkpoint")}
    if (
        cfg_settings is not None
        and is_checkpoint(model)
        and checkpoint["preset"] is None
        and checkpoint["official_config"] is None
    ):
        # An official .pth evaluated with its config file: MODEL.* gives its architecture, as in the official code.
        checkpoint.update(preset=cfg_settings["preset"], backbone_overrides=cfg_settings["backbone_overrides"])
        checkpoint["num_classes"] = checkpoint["num_classes"] or cfg_settings["num_classes"]
    return checkpoint


def _checked_output(model, output, overwrite):
    """The report folder (beside MODEL unless --output), refusing to replace a report without --overwrite."""
    from dvfl_tf.core.io_safety import check_output

    if output is None:
        output = os.path.join(
            os.path.dirname(os.path.abspath(model)), "evaluation_" + os.path.basename(model).split(".")[0]
        )
    for name in ("evaluation.json", "confusion_matrix.png"):
        check_output(os.path.join(output, name), overwrite=overwrite, inputs=(model,), option="--output")
    return output
