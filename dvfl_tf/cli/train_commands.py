"""`dvfl-tf train`, `distill`, `cache-teacher` and `quickstart`: thin wrappers over dvfl_tf.training."""

import json
import sys

import click

from dvfl_tf.cli.config_options import (
    augment_and_mixup,
    config_options,
    print_config,
    recipe_options,
    report_unused,
    resolve_cli_settings,
)
from dvfl_tf.cli.dataset_options import clip_options, data_option_values
from dvfl_tf.cli.options import field_option, parse_backbone_overrides, parse_views, range_type
from dvfl_tf.core.checks import DROP_RATE
from dvfl_tf.training.cluster import PEER_TIMEOUT
from dvfl_tf.training.train_config import TrainConfig


def _common_training_options(function):
    options = [
        click.option("--output", default=None, help="Run directory (run the same command again to resume). Required."),
        field_option(TrainConfig, "epochs", show_default=True),
        field_option(TrainConfig, "steps_per_epoch", help="Batches per epoch (0: one pass)."),
        field_option(TrainConfig, "optimizer", show_default=True),
        field_option(TrainConfig, "lr", help="Peak LR (default: --base-lr x batch / 512)."),
        field_option(TrainConfig, "base_lr", show_default=True),
        field_option(TrainConfig, "min_lr", show_default=True),
        field_option(TrainConfig, "warmup_epochs", show_default=True),
        field_option(TrainConfig, "weight_decay", show_default=True),
        field_option(TrainConfig, "clipnorm", show_default=True, help="Global-norm clip (0: off)."),
        click.option(
            "--drop-path-rate",
            type=range_type(DROP_RATE),
            default=None,
            help="Stochastic depth (default: the preset's).",
        ),
        click.option(
            "--backbone-overrides", default=None, help="JSON of backbone arguments, e.g. '{\"embed_dim\": 32}'."
        ),
        click.option(
            "--causal",
            is_flag=True,
            help="Build the preset causal (backbone causal=True): a model that can stream frame by frame.",
        ),
        click.option("--mixup/--no-mixup", default=False, show_default=True, help="Mixup/CutMix + label smoothing."),
        click.option("--augment/--no-augment", default=True, show_default=True),
        click.option("--no-validation", is_flag=True, help="Skip the per-epoch evaluation on the test split."),
        field_option(TrainConfig, "seed", show_default=True),
        field_option(TrainConfig, "strategy", show_default=True),
        field_option(TrainConfig, "tpu_address", help="TPU name or address for --strategy tpu."),
        click.option(
            "--peer-timeout",
            type=range_type(PEER_TIMEOUT),
            default=None,
            help="--strategy multi_worker: seconds to wait for the other workers of TF_CONFIG before giving up "
            "[default: 300].",
        ),
        field_option(TrainConfig, "mixed_precision", is_flag=True, help="float16 (GPU) / bfloat16 (TPU) compute."),
        field_option(TrainConfig, "xla", is_flag=True, help="Compile the training step with XLA."),
    ]
    for option in reversed(options):
        function = option(function)
    return recipe_options(config_options(function))


_MIXUP_OPTIONS = ("mixup", "cutmix", "mixup_prob", "mixup_switch_prob", "label_smoothing")
_AUGMENT_OPTIONS = ("flip_ratio", "color_jitter", "gray_scale")


def _data_options(kwargs, resolved, explicit):
    """The `DataOptions` of the run: the official list files of --cfg (unless --dataset is given), or the
    dataset options; the recipe settings that were resolved or given."""
    from dvfl_tf.data.data_options import DataOptions

    settings = resolved["settings"]
    data = data_option_values(kwargs)
    from_lists = resolved["config_file"] is not None and settings["dataset"] == "list"
    if from_lists:
        data = {
            "dataset": "list",
            "data_root": settings["data_root"],
            "index_options": {
                "lists": {"train": settings["train_file"], "val": settings["val_file"]},
                "class_names_file": settings["label_list"],
                "name": settings["dataset_name"],
            },
            "eval_split": "val",
        }
    augment, mixup = kwargs.pop("augment"), kwargs.pop("mixup")
    if resolved["config_file"] is not None:
        official_augment, official_mixup = augment_and_mixup(settings)
        augment = official_augment if augment else False
        mixup = official_mixup
    else:  # dvfl-tf's defaults, changed only by the options given
        given = [name for name in _AUGMENT_OPTIONS if name in explicit]
        official_augment, official_mixup = augment_and_mixup(settings, given)
        if augment and given:
            augment = official_augment
        if any(name in explicit for name in _MIXUP_OPTIONS if name != "mixup") or isinstance(
            explicit.get("mixup"), float
        ):
            mixup = official_mixup
    for name in ("num_frames", "image_size"):
        kwargs.pop(name)
    return DataOptions(
        **data,
        num_frames=settings["num_frames"],
        image_size=settings["image_size"],
        sampling=settings["sampling"],
        frame_interval=settings["frame_interval"],
        augment=augment,
        mixup=mixup,
        allow_empty_classes=kwargs.pop("allow_empty_classes"),
    )


def _backbone_overrides(kwargs, settings):
    """--backbone-overrides (JSON) over the config file's MODEL.FOCAL, and --causal (pops both from `kwargs`)."""
    overrides = parse_backbone_overrides(kwargs.pop("backbone_overrides"))
    if settings.get("backbone_overrides"):
        overrides = {**settings["backbone_overrides"], **(overrides or {})}
    if kwargs.pop("causal"):
        # The teacher of `distill` stays as given: a causal student learns from an ordinary teacher.
        overrides = {**(overrides or {}), "causal": True}
    return overrides


# The training settings a run takes from the resolved settings (with --cfg: the file's, LR scaled).
_RESOLVED_TRAINING_SETTINGS = (
    "epochs",
    "warmup_epochs",
    "base_lr",
    "min_lr",
    "warmup_lr",
    "weight_decay",
    "optimizer",
    "clipnorm",
    "seed",
    "momentum",
    "temperature",
    "alpha",
)


def _take_resolved_settings(kwargs, resolved, explicit):
    """The resolved settings into `kwargs`: the training settings, and the models unless given on the command line."""
    settings = resolved["settings"]
    for name in _RESOLVED_TRAINING_SETTINGS:
        if name in settings:
            kwargs[name] = settings[name]
    kwargs["batch_size"] = settings["global_batch_size"]
    kwargs["lr"] = settings["lr"] if resolved["config_file"] is not None else kwargs["lr"]
    for name in ("model", "student", "teacher", "init_checkpoint", "student_init", "teacher_preset"):
        if name == "teacher" and "teacher_logits" in explicit:
            continue  # the cached logits stand for the file's teacher
        if name in settings and name in kwargs and name not in explicit:
            kwargs[name] = settings[name]


def _split_options(ctx, kwargs, job):
    from dvfl_tf.cli.config_options import explicit_options

    resolved = resolve_cli_settings(ctx, kwargs, job)
    if kwargs.pop("print_config"):
        print_config(resolved)  # before TensorFlow is imported: no data, model or folder is needed
        ctx.exit(0)
    if not kwargs.get("output"):
        raise click.UsageError("Missing option '--output'.")
    report_unused(resolved)
    settings = resolved["settings"]
    explicit = explicit_options(ctx, kwargs)
    data = _data_options(kwargs, resolved, explicit)
    overrides = _backbone_overrides(kwargs, settings)
    kwargs.pop("drop_path_rate")
    drop_path_rate = settings.get("drop_path_rate")
    validate = not kwargs.pop("no_validation")
    for name in ("cfg", "opts", "world_size", "sampling", "frame_interval") + _AUGMENT_OPTIONS:
        kwargs.pop(name, None)
    for name in ("mixup_alpha", "cutmix_alpha", "mixup_prob", "mixup_switch_prob", "label_smoothing"):
        kwargs.pop(name, None)
    _take_resolved_settings(kwargs, resolved, explicit)
    config_fields = set(TrainConfig.__dataclass_fields__)
    # Keras progress bars on a terminal; one plain line per epoch in a redirected log.
    kwargs["verbose"] = 1 if sys.stdout.isatty() else 2
    config = TrainConfig(**{k: v for k, v in kwargs.items() if k in config_fields})
    _prepare_cluster(config.strategy, kwargs.pop("peer_timeout"))
    if resolved["config_file"] is not None:
        config.extra["official_config"] = {
            "file": resolved["config_file"],
            "opts": resolved["opts"],
            "world_size": settings["world_size"],
        }
    rest = {k: v for k, v in kwargs.items() if k not in config_fields}
    rest["num_classes"] = settings.get("num_classes")
    return config, data, overrides, drop_path_rate, validate, rest


def _prepare_cluster(strategy, peer_timeout):
    """--strategy multi_worker: TF_CONFIG checked and the peers awaited (bounded) before anything starts."""
    from dvfl_tf.training.cluster import PEER_TIMEOUT_S, prepare_multi_worker

    if strategy != "multi_worker":
        if peer_timeout is not None:
            raise click.UsageError("--peer-timeout applies to --strategy multi_worker only.")
        return
    prepare_multi_worker(PEER_TIMEOUT_S if peer_timeout is None else peer_timeout)


def _run_job(job, **kwargs):
    state = job(**kwargs)
    if state.get("status") == "nan":
        raise click.ClickException("Training stopped: the loss became NaN (see the message above).")
    if state.get("chief") is False:
        click.echo(
            f"Worker done: {state.get('epochs_done')} epochs; the chief wrote the run in {kwargs['config'].output}."
        )
        return
    best = state.get("best_value")
    click.echo(
        f"Run {kwargs['config'].output}: {state.get('epochs_done')} epochs, best {state.get('monitor')} = "
        f"{best if best is None else round(best, 4)}; student in best.keras / last.keras."
    )


@click.command("train")
@clip_options
@click.option("--model", default="vfl_net_nano", show_default=True, help="Preset name or a .keras file.")
@click.option(
    "--init-checkpoint",
    default=None,
    help="Pretrained checkpoint to start from (official .pth or timm .safetensors): head reset if its "
    "shape differs, deeper blocks dropped, missing weights left at initialisation.",
)
@_common_training_options
@click.pass_context
def train(ctx, **kwargs):
    """Train a model on labels (teacher fine-tuning, or a student from scratch)."""
    config, data, overrides, drop_path_rate, validate, rest = _split_options(ctx, kwargs, "train")
    from dvfl_tf.training.workflows import train as train_job

    _run_job(
        train_job,
        config=config,
        data_options=data,
        model=rest["model"],
        init_checkpoint=rest["init_checkpoint"],
        drop_path_rate=drop_path_rate,
        overrides=overrides,
        validate=validate,
        num_classes=rest["num_classes"],
    )


@click.command("distill")
@clip_options
@click.option(
    "--teacher",
    default=None,
    help="Fine-tuned teacher: a .keras file or a checkpoint (.pth/.safetensors) that fills it whole.",
)
@click.option(
    "--teacher-logits",
    default=None,
    help="Cached teacher logits (dvfl-tf cache-teacher) instead of --teacher (offline distillation).",
)
@click.option(
    "--teacher-preset",
    default="video_focalnet_base",
    show_default=True,
    help="Architecture to load an official teacher checkpoint into.",
)
@click.option("--student", default="vfl_net_nano", show_default=True, help="Preset name or a .keras file.")
@click.option(
    "--student-init",
    default=None,
    help="Pretrained checkpoint the student starts from (DVFL-Net: ImageNet FocalNet-T srf, .pth or "
    "timm .safetensors).",
)
@field_option(TrainConfig, "temperature", show_default=True)
@field_option(TrainConfig, "alpha", show_default=True, help="Weight of the distillation term.")
@field_option(TrainConfig, "divergence", show_default=True)
@_common_training_options
@click.pass_context
def distill(ctx, **kwargs):
    """Distil a teacher into a student (forward KL, as the paper)."""
    config, data, overrides, drop_path_rate, validate, rest = _split_options(ctx, kwargs, "distill")
    from dvfl_tf.training.workflows import distill as distill_job
    from dvfl_tf.training.workflows import distill_offline

    if bool(rest["teacher"]) == bool(rest["teacher_logits"]):
        raise click.UsageError("Give exactly one of --teacher and --teacher-logits.")
    if rest["teacher_logits"]:
        # The data options of the cache apply (the student sees the cached views).
        _run_job(
            distill_offline,
            config=config,
            teacher_logits=rest["teacher_logits"],
            student=rest["student"],
            drop_path_rate=drop_path_rate,
            overrides=overrides,
            validate=validate,
            student_init=rest["student_init"],
        )
        return
    _run_job(
        distill_job,
        config=config,
        data_options=data,
        teacher=rest["teacher"],
        student=rest["student"],
        teacher_preset=rest["teacher_preset"],
        drop_path_rate=drop_path_rate,
        overrides=overrides,
        validate=validate,
        student_init=rest["student_init"],
        num_classes=rest["num_classes"],
    )


@click.command("cache-teacher")
@click.argument("teacher")
@clip_options
@click.option(
    "--views",
    default="2x3",
    show_default=True,
    callback=parse_views,
    help="Fixed views per training video (clips x crops).",
)
@click.option("--output", required=True, help="The cache file (.npz) to write.")
@click.option("--overwrite", is_flag=True, help="Replace an existing cache file (never the teacher).")
def cache_teacher(teacher, views, output, overwrite, **kwargs):
    """Store TEACHER's (.keras) logits on fixed views of the training videos, for `distill --teacher-logits`."""
    from dvfl_tf.core.io_safety import check_output
    from dvfl_tf.data.data_options import DataOptions
    from dvfl_tf.training.teacher_cache import cache_teacher_logits

    check_output(output, overwrite=overwrite, inputs=(teacher,), suffixes=(".npz",))
    batch_size = kwargs.pop("batch_size")
    data = DataOptions(**data_option_values(kwargs), **kwargs)
    path = cache_teacher_logits(teacher, data, output, views=views, batch_size=batch_size)
    click.echo(f"Teacher logits written to {path}")


@click.command("quickstart")
@click.option("--output", default="runs/quickstart", show_default=True)
@field_option(TrainConfig, "seed", show_default=True)  # the seed of every run of the quickstart
@click.option(
    "--deterministic/--no-deterministic",
    default=True,
    show_default=True,
    help="Seeds, TensorFlow op determinism and one inter-op thread: the same figures on every run on one CPU type (docs/training.md).",
)
def quickstart(output, seed, deterministic):
    """Train a teacher, a distilled and a scratch student on the synthetic dataset; export int8; compare the four."""
    from dvfl_tf.apps.quickstart import run_quickstart
    from dvfl_tf.training.run_dir import RunDirError

    try:
        summary = run_quickstart(output, seed=seed, deterministic=deterministic)
    except RunDirError as error:
        raise click.ClickException(str(error)) from None
    sys.stdout.flush()
    click.echo(json.dumps(summary["accuracy"], indent=2))
