"""Model commands: `convert-checkpoint` and `profile` (thin wrappers over dvfl_tf.convert / profiling)."""

import json

import click

from dvfl_tf.cli.options import parse_backbone_overrides, range_type
from dvfl_tf.core.checks import MODEL_SIZE
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS


@click.command("convert-checkpoint")
@click.argument("checkpoint", type=click.Path(exists=True, dir_okay=False))
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="Architecture preset of the checkpoint.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON file of the official VideoFocalNet constructor arguments.",
)
@click.option("--num-classes", type=range_type(MODEL_SIZE), help="Classes of the head (default: from the checkpoint).")
@click.option("--frames", "num_frames", type=range_type(MODEL_SIZE), help="Override the number of input frames.")
@click.option("--image-size", type=range_type(MODEL_SIZE), help="Override the frame size.")
@click.option(
    "--backbone-overrides",
    default=None,
    help="JSON of backbone arguments overriding the preset, e.g. '{\"embed_dim\": 32}'.",
)
@click.option(
    "--pretrained",
    "--from-imagenet-focalnet",
    "pretrained",
    is_flag=True,
    help="A fine-tuning start, as the official TRAIN.PRETRAINED_PATH: head reset if its shape differs, image stem "
    "inflated over the tubelet, deeper checkpoint blocks dropped, weights it lacks (temporal branch of an ImageNet "
    "FocalNet) left at initialisation. --from-imagenet-focalnet is an alias.",
)
@click.option("--trust-checkpoint", is_flag=True, help="Allow full unpickling (runs code from the file!).")
@click.option("--verify-input", type=click.Path(exists=True, dir_okay=False), help="Official-layout input .npy.")
@click.option("--verify-logits", type=click.Path(exists=True, dir_okay=False), help="Expected official logits .npy.")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="Output .keras file.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file (never the checkpoint itself).")
def convert_checkpoint(
    checkpoint,
    preset,
    config_path,
    num_classes,
    num_frames,
    image_size,
    backbone_overrides,
    pretrained,
    trust_checkpoint,
    verify_input,
    verify_logits,
    output,
    overwrite,
):
    """Convert a checkpoint (official .pth or timm FocalNet .safetensors) to a .keras model.

    Strict without --pretrained: every checkpoint tensor used, every weight set.
    """
    from dvfl_tf.convert import convert_checkpoint as convert
    from dvfl_tf.core.io_safety import check_output

    if (preset is None) == (config_path is None):
        raise click.UsageError("Give exactly one of --preset or --config.")
    overrides = parse_backbone_overrides(backbone_overrides)
    check_output(
        output, overwrite=overwrite, suffixes=(".keras",), inputs=(checkpoint, config_path, verify_input, verify_logits)
    )
    report = convert(
        checkpoint,
        output,
        preset=preset,
        official_config=config_path,
        num_classes=num_classes,
        pretrained=pretrained,
        trust_checkpoint=trust_checkpoint,
        verify_input=verify_input,
        verify_logits=verify_logits,
        num_frames=num_frames,
        image_size=image_size,
        backbone_overrides=overrides,
    )
    _print_conversion(report)


def _print_conversion(report):
    """What was converted, and against what the saved file was checked."""
    if "pretrained_start" in report:
        click.echo(report["pretrained_start"].summary())
    click.echo(
        f"Loaded {len(report['loaded'])} tensors ({report['checkpoint_format']}) into {report['output']} "
        f"({report['num_classes']} classes)."
    )
    if report.get("skipped"):
        click.echo(f"Skipped checkpoint tensors: {', '.join(report['skipped'])}")
    click.echo(
        f"Saved file checked: reloading {report['output']} gives the converted model's logits "
        f"(max-abs difference {report['max_abs_diff_reload']:.3g}). This compares the file with the model "
        "in memory only."
    )
    if "max_abs_diff_reference" in report:
        click.echo(
            f"Verified against the official logits: max-abs difference {report['max_abs_diff_reference']:.3g} "
            "(tolerance 1e-4)."
        )
    else:
        click.echo(
            "Not checked against the official model: pass --verify-input and --verify-logits "
            "(an official input clip and its logits) for that."
        )


@click.command("profile")
@click.option("--preset", required=True, type=click.Choice(sorted(PRESETS)))
@click.option("--num-classes", type=range_type(MODEL_SIZE), default=400, show_default=True)
@click.option("--frames", "num_frames", type=range_type(MODEL_SIZE), help="Frames per clip (default: the preset's).")
@click.option("--image-size", type=range_type(MODEL_SIZE), help="Frame size (default: the preset's).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line.")
def profile(preset, num_classes, num_frames, image_size, as_json):
    """Parameters and GMACs (conv + dense multiply-accumulates) of a preset for one clip."""
    from dvfl_tf.models.profiling import profile_model
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    model = build_model(preset, num_classes=num_classes, num_frames=num_frames, image_size=image_size)
    result = profile_model(model)
    height, width = model.frame_shape
    result.update(
        {"preset": preset, "num_classes": num_classes, "frames": model.num_frames, "image_size": [height, width]}
    )
    click.echo(
        f"{preset}: {result['params'] / 1e6:.2f}M parameters, {result['gmacs']:.2f} GMACs "
        f"per {model.num_frames}x{height}x{width} clip"
    )
    if as_json:
        click.echo(json.dumps(result))
