"""Every option of every command is accounted for: either it has a library counterpart (`OWNERS`: a config
dataclass field or a library function argument), whose default it takes and which refuses a bad value with
its own "... Received: ..." message, or it belongs to the command line alone (`CLI_ONLY`).

A new option that is in neither list fails `test_every_option_is_owned`: give it its library counterpart (and
let the library check it), or say why it is the command line's own.
"""

import dataclasses
import inspect

import click
import pytest

from dvfl_tf.cli import COMMANDS, main

# The group's flags, added to every command.
GLOBAL_OPTIONS = {"debug", "verbose"}

# The command line's own: where results go and how they are shown, the config-file switches (resolved by
# `cli.config_options`), which of a command's ways to run, and the model or data file a command reads.
CLI_ONLY = {
    "output": "where the command writes",
    "overwrite": "whether an existing output may be replaced",
    "as_json": "how the result is printed",
    "report_path": "export-tflite: where the report is written",
    "csv_path": "benchmark: where the records are written",
    "json_path": "benchmark: where the records are written",
    "plots_dir": "benchmark --compare: where the plots are written",
    "eval_reports": "benchmark --compare: the result files to read",
    "compare": "benchmark: read result files instead of timing",
    "int8_speedup": "benchmark: which measurement to run",
    "op_profile": "benchmark: which measurement to run",
    "roofline": "benchmark: also time a dense reference",
    "print_config": "print the resolved settings and exit",
    "cfg": "an official config file (resolved by dvfl_tf.convert.official_run_config)",
    "opts": "keys over the config file (resolved by dvfl_tf.convert.official_run_config)",
    "strict": "check-data: the exit status when a problem is found",
    "model_path": "the model file the command reads",
    "input_npy": "visualize: a clip file instead of the video",
    "labels_path": "a class-names file the command reads",
    "stream": "predict: run the stream runner",
    "config_path": "convert-checkpoint: the official constructor arguments file",
    "verify_input": "convert-checkpoint: a reference clip file",
    "verify_logits": "convert-checkpoint: a reference logits file",
    "calibration_dataset": "export-tflite: the dataset the clips come from (dataset_clips loads it)",
    "delegates": "benchmark: comma-separated delegates (run_benchmarks checks each on its target)",
    "threads": "benchmark: comma-separated thread counts",
    "serial": "benchmark --target android: the device",
    "adb": "benchmark --target android: the adb program",
    "benchmark_binary": "benchmark --target android: the benchmark program",
    "benchmark_apk": "benchmark --target android: the benchmark app",
    "taskset": "benchmark --target android: the CPU mask",
    "backbone_overrides": "JSON of backbone arguments (the backbone checks each)",
    "init_checkpoint": "train: the checkpoint file to start from",
    "student_init": "distill: the checkpoint file the student starts from",
    "teacher": "distill: the teacher file",
    "teacher_logits": "distill: the cached logits file",
    "no_decode": "check-data: check_data(decode=False)",
    "no_validation": "train/distill: the jobs' validate=False",
    "preset": "a preset name (the classifier loading and build_model check it)",
    "official_config": "the official constructor arguments file",
}

_NO_DEFAULT = inspect.Parameter.empty
_UNSET = getattr(click.core, "UNSET", None)  # click's "no default given" (click >= 8.2)


@dataclasses.dataclass
class Owner:
    """The library counterpart of an option.

    `default`: a callable giving the library's default; `None` when the option's default is None because the
    library's applies (or a config file's) when the option is not given. `reject`: calls the library with a
    value (None: a flag or free text the library takes as it is); `bad`: a value both refuse.
    """

    default: object = None
    reject: object = None
    bad: object = None


def _field(cls_path, name, bad=None, resolved=False):
    def owner_class():
        module, _, attribute = cls_path.partition(":")
        return getattr(__import__(module, fromlist=[attribute]), attribute)

    return Owner(
        default=None if resolved else (lambda: owner_class().__dataclass_fields__[name].default),
        reject=lambda value: owner_class()(**{name: value}),
        bad=bad,
    )


def _argument(function_path, name, reject=None, bad=None, resolved=False):
    def default():
        module, _, attribute = function_path.partition(":")
        function = __import__(module, fromlist=[attribute.split(".")[0]])
        for part in attribute.split("."):
            function = getattr(function, part)
        return inspect.signature(function).parameters[name].default

    return Owner(default=None if resolved else default, reject=reject, bad=bad)


def _range(range_path, name, bad, default_path=None, default_name=None):
    """An option checked by a library `Range` ("module:NAME" or "module:TABLE[key]"), with the default of the
    argument `default_name` of `default_path` (None: resolved)."""

    def reject(value):
        module, _, attribute = range_path.partition(":")
        table, _, key = attribute.rstrip("]").partition("[")
        allowed = getattr(__import__(module, fromlist=[table]), table)
        (allowed[key] if key else allowed).check(name, value)

    owner = _argument(default_path, default_name, resolved=default_path is None) if default_path else Owner()
    return Owner(default=owner.default, reject=reject, bad=bad)


TRAIN = "dvfl_tf.training.train_config:TrainConfig"
DATA = "dvfl_tf.data.clip_config:DataOptions"
AUGMENT = "dvfl_tf.data.augment:AugmentConfig"
MIXUP = "dvfl_tf.data.augment:MixupConfig"
EXPORT = "dvfl_tf.export.exporter:ExportOptions"


def _build(**arguments):
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model

    return build_model("vfl_net_nano", **{"num_classes": 2, **arguments})


def _synthetic(name, bad):
    from dvfl_tf.data import synthetic

    return Owner(default=None, reject=lambda value: synthetic._options(**{name: value}), bad=bad)


def _cache(name, bad):
    from dvfl_tf.data.cache_settings import CACHE_DEFAULTS

    def reject(value):
        from dvfl_tf.data.cache import prepare_cache

        prepare_cache("synthetic", None, "unused", index=object(), **{name: value})

    return Owner(default=lambda: CACHE_DEFAULTS[name], reject=reject, bad=bad)


def _clip_config(**settings):
    from dvfl_tf.data.clip_config import ClipDatasetConfig

    return ClipDatasetConfig(training=False, batch_size=1, **settings)


def _views(function_path):
    """--views CLIPSxCROPS: the default of the function's `views`, refused as `ClipDatasetConfig` refuses it."""
    argument = _argument(function_path, "views")
    return Owner(
        default=lambda: "x".join(map(str, argument.default())),
        reject=lambda value: _clip_config(views=value),
        bad=(0, 3),
    )


# Option name (every command that has it) or (command, option name) -> its library counterpart.
OWNERS = {
    # The dataset and clip options (cli.dataset_options).
    "dataset": _field(DATA, "dataset", bad="no_such_layout"),
    "data_root": _field(DATA, "data_root"),
    "split": _field(DATA, "split", bad=0),
    "split_dir": _field(DATA, "split_dir"),
    "lists": _argument("dvfl_tf.data.datasets.generic_layouts:load_list", "lists"),
    "class_names_file": _argument("dvfl_tf.data.datasets.generic_layouts:load_list", "class_names_file"),
    "annotations": _argument("dvfl_tf.data.datasets.annotation_layouts:load_kinetics400", "annotations"),
    "label_offset": _argument(
        "dvfl_tf.data.datasets.generic_layouts:load_list",
        "label_offset",
        reject=lambda value: __import__("dvfl_tf.data.datasets", fromlist=["load_index"]).load_index(
            "list", None, label_offset=value
        ),
        bad=-1,
    ),
    "num_frames": _field(DATA, "num_frames", bad=0),
    "image_size": _field(DATA, "image_size", bad=0),
    "batch_size": _field(TRAIN, "batch_size", bad=0),
    "allow_empty_classes": _field(DATA, "allow_empty_classes"),
    "eval_split": _field(DATA, "eval_split"),
    "sampling": _field(DATA, "sampling", bad="random", resolved=True),
    "frame_interval": _field(DATA, "frame_interval", bad=0, resolved=True),
    "augment": _field(DATA, "augment"),
    "mixup": _field(DATA, "mixup"),
    # The run (TrainConfig) and the recipe's augmentation and mixup.
    **{
        name: _field(TRAIN, name, bad=bad)
        for name, bad in {
            "epochs": 0,
            "steps_per_epoch": -1,
            "optimizer": "adam",
            "lr": float("nan"),
            "base_lr": 0.0,
            "min_lr": -1.0,
            "warmup_lr": -1.0,
            "warmup_epochs": -1.0,
            "weight_decay": -1.0,
            "clipnorm": -1.0,
            "temperature": 0.0,
            "alpha": 2.0,
            "divergence": "kl",
            "seed": -1,
            "strategy": "gpu",
            "tpu_address": None,
            "mixed_precision": None,
            "xla": None,
        }.items()
    },
    "flip_ratio": _field(AUGMENT, "flip_prob", bad=1.5, resolved=True),
    "color_jitter": _field(AUGMENT, "color_jitter_prob", bad=1.5, resolved=True),
    "gray_scale": _field(AUGMENT, "grayscale_prob", bad=-0.5, resolved=True),
    "mixup_alpha": _field(MIXUP, "mixup_alpha", bad=-1.0, resolved=True),
    "cutmix_alpha": _field(MIXUP, "cutmix_alpha", bad=-1.0, resolved=True),
    "mixup_prob": _field(MIXUP, "prob", bad=2.0, resolved=True),
    "mixup_switch_prob": _field(MIXUP, "switch_prob", bad=2.0, resolved=True),
    "label_smoothing": _field(MIXUP, "label_smoothing", bad=1.0, resolved=True),
    "world_size": _argument(
        "dvfl_tf.convert.official_run_config:resolve_settings",
        "world_size",
        reject=lambda value: __import__(
            "dvfl_tf.convert.official_run_config", fromlist=["resolve_settings"]
        ).resolve_settings(None, "train", world_size=value),
        bad=0,
    ),
    "peer_timeout": _argument(
        "dvfl_tf.training.cluster:prepare_multi_worker",
        "timeout",
        reject=lambda value: __import__("dvfl_tf.training.cluster", fromlist=["x"]).prepare_multi_worker(value),
        bad=0.0,
        resolved=True,
    ),
    "drop_path_rate": Owner(default=None, reject=lambda value: _build(drop_path_rate=value), bad=1.0),
    "causal": _argument(
        "dvfl_tf.models.video_focalnet.video_focalnet_backbone:VideoFocalNetBackbone.__init__", "causal"
    ),
    ("train", "model"): _argument("dvfl_tf.training.workflows:train", "model"),
    ("distill", "student"): _argument("dvfl_tf.training.workflows:distill", "student"),
    ("distill", "teacher_preset"): _argument("dvfl_tf.training.workflows:distill", "teacher_preset"),
    # evaluate, cache-teacher, visualize, convert-checkpoint, profile, export-tflite.
    ("evaluate", "views"): _views("dvfl_tf.evaluation.evaluate:evaluate"),
    ("cache-teacher", "views"): _views("dvfl_tf.training.teacher_cache:cache_teacher_logits"),
    "view_protocol": _argument(
        "dvfl_tf.evaluation.evaluate:evaluate",
        "view_protocol",
        reject=lambda value: _clip_config(view_protocol=value),
        bad="other",
    ),
    "num_classes": Owner(default=None, reject=lambda value: _build(num_classes=value), bad=0),
    # profile: a Kinetics-400 head unless told (build_model has no default).
    ("profile", "num_classes"): Owner(default=None, reject=lambda value: _build(num_classes=value), bad=0),
    "frames": Owner(default=None, reject=lambda value: _build(num_frames=value), bad=0),
    ("convert-checkpoint", "num_frames"): Owner(default=None, reject=lambda value: _build(num_frames=value), bad=0),
    ("profile", "num_frames"): Owner(default=None, reject=lambda value: _build(num_frames=value), bad=0),
    ("convert-checkpoint", "image_size"): Owner(default=None, reject=lambda value: _build(image_size=value), bad=0),
    ("profile", "image_size"): Owner(default=None, reject=lambda value: _build(image_size=value), bad=0),
    ("export-tflite", "image_size"): Owner(default=None, reject=lambda value: _build(image_size=value), bad=0),
    "trust_checkpoint": _argument("dvfl_tf.evaluation.classifier_loading:load_classifier", "trust_checkpoint"),
    "pretrained": _argument("dvfl_tf.convert.checkpoint_converter:convert_checkpoint", "pretrained"),
    "blocks": _argument("dvfl_tf.evaluation.visualize:visualize", "blocks"),
    "arrays": _argument("dvfl_tf.evaluation.visualize:visualize", "arrays"),
    "fps": _argument(
        "dvfl_tf.evaluation.visualize:visualize",
        "fps",
        reject=lambda value: __import__("dvfl_tf.evaluation.visualize", fromlist=["x"]).visualize(
            None, None, fps=value
        ),
        bad=0.0,
    ),
    # The mode flags choose ExportOptions.mode (tests/export/test_export_mode_table.py); off by default.
    **{name: Owner(default=lambda: False) for name in ("fp16", "dynamic_range", "int8", "int16x8", "int8_mixed")},
    # Combinations (--uint8-io without --int8, ...) are refused by ExportOptions from the mode table.
    **{name: _field(EXPORT, name) for name in ("uint8_io", "edgetpu", "keep_float")},
    ("export-tflite", "stream"): _field(EXPORT, "stream"),
    "num_calibration": Owner(
        default=lambda: __import__("dvfl_tf.export.calibration", fromlist=["x"]).DEFAULT_CALIBRATION_CLIPS,
        reject=_range("dvfl_tf.export.calibration:CLIP_COUNT", "num_calibration", 0).reject,
        bad=0,
    ),
    "num_verify": Owner(
        default=lambda: __import__("dvfl_tf.export.calibration", fromlist=["x"]).DEFAULT_VERIFY_CLIPS,
        reject=_range("dvfl_tf.export.calibration:CLIP_COUNT", "num_verify", 0).reject,
        bad=0,
    ),
    # predict.
    "top_k": _range(
        "dvfl_tf.runtime.preprocessing:TOP_K",
        "k",
        0,
        "dvfl_tf.runtime.tflite_classifier:VideoClassifier.predict_video",
        "top_k",
    ),
    "stride": _range(
        "dvfl_tf.runtime.stream:STREAM_RANGES[stride]",
        "stride",
        0,
        "dvfl_tf.runtime.stream:stream_predictions",
        "stride",
    ),
    "horizon": _range(
        "dvfl_tf.runtime.stream:STREAM_RANGES[horizon]",
        "horizon",
        0,
        "dvfl_tf.runtime.stream:TFLiteStreamClassifier.__init__",
        "horizon",
    ),
    "max_frames": _range(
        "dvfl_tf.runtime.stream:STREAM_RANGES[max_frames]",
        "max_frames",
        0,
        "dvfl_tf.runtime.stream:stream_predictions",
        "max_frames",
    ),
    # The data commands.
    **{
        name: _synthetic(name, bad)
        for name, bad in {
            "train_per_class": 0,
            "test_per_class": 0,
            "unused_per_class": -1,
        }.items()
    },
    ("make-synthetic", "num_classes"): _synthetic("num_classes", 1),
    ("make-synthetic", "image_size"): _synthetic("image_size", 0),
    ("make-synthetic", "num_frames"): _synthetic("num_frames", 0),
    ("make-synthetic", "seed"): _synthetic("seed", -1),
    "short_side": _cache("short_side", 0),
    "image_format": _cache("image_format", "gif"),
    "quality": _cache("quality", 101),
    "videos_per_shard": _cache("videos_per_shard", 0),
    "workers": _cache("workers", 0),
    # benchmark, quickstart.
    "target": _argument(
        "dvfl_tf.latency.harness:run_benchmarks",
        "target",
        reject=lambda value: __import__("dvfl_tf.latency.harness", fromlist=["x"]).run_benchmarks(["m"], target=value),
        bad="gpu",
    ),
    "runs": _argument(
        "dvfl_tf.latency.harness:run_benchmarks",
        "runs",
        reject=lambda value: __import__("dvfl_tf.latency.harness", fromlist=["x"]).run_benchmarks(["m"], runs=value),
        bad=0,
    ),
    "warmup": _argument(
        "dvfl_tf.latency.harness:run_benchmarks",
        "warmup",
        reject=lambda value: __import__("dvfl_tf.latency.harness", fromlist=["x"]).run_benchmarks(["m"], warmup=value),
        bad=-1,
    ),
    ("quickstart", "seed"): _argument("dvfl_tf.apps.quickstart:run_quickstart", "seed"),
    ("quickstart", "deterministic"): _argument("dvfl_tf.apps.quickstart:run_quickstart", "deterministic"),
}


def _options():
    context = click.Context(main)
    for name in sorted(COMMANDS):
        command = main.get_command(context, name)
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in GLOBAL_OPTIONS:
                yield name, command, param


def _owner(command_name, name):
    return OWNERS.get((command_name, name), OWNERS.get(name))


def _cli_default(command, param):
    default = param.get_default(click.Context(command), call=False)
    if default is _UNSET:
        default = None
    if param.multiple and not default:
        return None
    if param.is_flag and default is None:
        return False  # a plain flag: off
    return default


def test_every_option_is_owned():
    unowned = [
        f"{command_name} --{param.name}"
        for command_name, _, param in _options()
        if _owner(command_name, param.name) is None and param.name not in CLI_ONLY
    ]
    assert not unowned, f"options in neither OWNERS nor CLI_ONLY: {unowned}"
    # No option is both.
    assert not {name for name in OWNERS if isinstance(name, str)} & set(CLI_ONLY)


def test_the_lists_name_only_existing_options():
    names = {param.name for _, _, param in _options()}
    pairs = {(command_name, param.name) for command_name, _, param in _options()}
    stale = [key for key in OWNERS if (key not in pairs if isinstance(key, tuple) else key not in names)]
    stale += [name for name in CLI_ONLY if name not in names]
    assert not stale, stale


def _owned(command_name):
    for name, command, param in _options():
        owner = _owner(name, param.name) if name == command_name else None
        if owner is not None:
            yield command, param, owner


@pytest.mark.parametrize("command_name", sorted(COMMANDS))
def test_each_option_takes_the_library_default(command_name):
    for command, param, owner in _owned(command_name):
        if owner.default is None or param.required:
            continue
        expected, given = owner.default(), _cli_default(command, param)
        if param.multiple and expected == ():
            expected = None  # a repeatable option given no value
        assert expected is not _NO_DEFAULT, f"{command_name} --{param.name}: the library has no default"
        assert given == expected, f"{command_name} --{param.name}: {given!r}, the library's {expected!r}"


@pytest.mark.parametrize("command_name", sorted(COMMANDS))
def test_a_bad_value_is_refused_by_the_library_and_the_option(command_name):
    for command, param, owner in _owned(command_name):
        if owner.bad is None:
            continue
        with pytest.raises(ValueError, match="Received"):
            owner.reject(owner.bad)
        text = "x".join(map(str, owner.bad)) if isinstance(owner.bad, tuple) else str(owner.bad)
        with pytest.raises(click.BadParameter):
            param.process_value(click.Context(command), text)
