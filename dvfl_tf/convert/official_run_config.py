"""The authors' config files (`main.py` / `main_KD.py --cfg FILE --opts KEY VALUE ...`) as dvfl-tf settings.

`load_official_config(path, opts)` layers the values as the official `config.py` does (yacs):
the defaults of every key (`official_config_defaults`), then the file (after the files its `BASE`
list names, relative to the file), then the `--opts` pairs. A key that is not an official key, a
value of the wrong type, or an odd `--opts` list is an `OfficialConfigError` naming the file or
`--opts` and the key.

`resolve_settings(config, job, explicit)` maps the official keys that the official training reads
to dvfl-tf settings (`settings`), says where each came from (`sources`: default / file / opts /
option, the strongest of the keys it is made of), and lists the keys the file or `--opts` set that
have no effect in the official code or here (`no_effect`, with the reason). `explicit` holds the
dvfl-tf options given on the command line; they win over the file. The learning rates are scaled as
`main.py` does: `BASE_LR`, `WARMUP_LR` and `MIN_LR` x global batch / 512, the global batch being
`DATA.BATCH_SIZE` x `world_size` (the number of GPUs of the official run: `torchrun
--nproc_per_node`), unless `--batch-size` (dvfl-tf's global batch) is given.

Paths in the file (`DATA.ROOT`, `TRAIN_FILE`, `VAL_FILE`, `LABEL_LIST`, `*.PRETRAINED_PATH`) are
relative to the working directory, as for the official scripts; the settings hold them absolute.
Nothing here reads the data or a checkpoint: `--print-config` needs none of them.
"""

import ast
import copy
import os

from dvfl_tf.convert.official_config_defaults import OFFICIAL_DEFAULTS
from dvfl_tf.core.errors import UserError

SOURCES = ("default", "file", "opts", "option")
# DATA.DATASET only names the official output folder; these are the datasets dvfl-tf knows.
SUPPORTED_DATASETS = ("hmdb51", "ucf101", "ucf50", "kinetics400", "ssv2")
# Official MODEL.TYPE (timm model name; it alone fixes depths and width) -> dvfl-tf preset.
MODEL_TYPES = {
    "videofocalnet_nano": "vfl_net_nano",
    "videofocalnet_tiny": "video_focalnet_tiny",
    "videofocalnet_small": "video_focalnet_small",
    "videofocalnet_base": "video_focalnet_base",
}
# The architecture of each MODEL.TYPE (the official registered models), to say when FOCAL.EMBED_DIM /
# DEPTHS in a file disagree with it (the official build_model never reads them).
_TYPE_ARCHITECTURE = {
    "videofocalnet_nano": (96, [1, 1, 2, 1]),
    "videofocalnet_tiny": (96, [2, 2, 6, 2]),
    "videofocalnet_small": (96, [2, 2, 18, 2]),
    "videofocalnet_base": (128, [2, 2, 18, 2]),
}
# MODEL.FOCAL.* keys the official build_model passes to the model -> backbone argument.
_FOCAL_ARGUMENTS = {
    "FOCAL_LEVELS": "focal_levels",
    "FOCAL_WINDOWS": "focal_windows",
    "USE_CONV_EMBED": "use_conv_embed",
    "USE_LAYERSCALE": "use_layerscale",
    "USE_POSTLN": "use_postln",
    "USE_POSTLN_IN_MODULATION": "use_postln_in_modulation",
    "NORMALIZE_MODULATOR": "normalize_modulator",
}
_FOCAL_UNUSED = ("EMBED_DIM", "DEPTHS", "PATCH_SIZE", "IN_CHANS", "MLP_RATIO", "PATCH_NORM", "FOCAL_FACTORS")
REFERENCE_BATCH_SIZE = 512

# Keys with no effect on a dvfl-tf run, and why. Keys that act, or that dvfl-tf refuses, are not here.
NO_EFFECT = {
    "KD.BETA": "the official KD loss (classification/criterion.py, loss_fn_kd) reads KD.ALPHA and KD.TEMPERATURE only",
    "KD.GAMMA": "the official KD loss (classification/criterion.py, loss_fn_kd) reads KD.ALPHA and KD.TEMPERATURE only",
    "DATA.NUM_WORKERS": "data-loader threads (the official loader uses 16 whatever the value; dvfl-tf: tf.data AUTOTUNE)",
    "DATA.PIN_MEMORY": "PyTorch data-loader memory pinning",
    "DATA.DATASET": "names the official output folder only (OUTPUT/DATASET/MODEL.NAME/TAG); the lists carry the data",
    "DATA.DATA_PATH": "not read by the official video pipeline",
    "DATA.ZIP_MODE": "not read by the official video pipeline",
    "DATA.CACHE_MODE": "not read by the official video pipeline",
    "DATA.INTERPOLATION": "not read by the official video pipeline",
    "MODEL.NAME": "names the official output folder only",
    "MODEL.DROP_RATE": "the official build_model does not pass it to the model",
    "AUG.MIXUP_PROB": "the official main.py builds CutmixMixupBlending without it: every batch is mixed",
    "AUG.MIXUP_MODE": "the official CutmixMixupBlending mixes per batch whatever the value",
    "AUG.CUTMIX_MINMAX": "the official CutmixMixupBlending does not take it",
    "AUG.AUTO_AUGMENT": "not in the official training pipeline (datasets/build.py)",
    "AUG.REPROB": "not in the official training pipeline (datasets/build.py)",
    "AUG.REMODE": "not in the official training pipeline (datasets/build.py)",
    "AUG.RECOUNT": "not in the official training pipeline (datasets/build.py)",
    "TEST.CROP": "not read by the official test pipeline",
    "TEST.ONLY_TEST": "not read by the official scripts",
    "TRAIN.USE_CHECKPOINT": "gradient checkpointing saves memory only; the result is the same",
    "TRAIN.AUTO_RESUME": "dvfl-tf always resumes a run from its --output folder",
    "TRAIN.LR_SCHEDULER.DECAY_EPOCHS": "used by the 'step' schedule only (this run: cosine)",
    "TRAIN.LR_SCHEDULER.DECAY_RATE": "used by the 'step' schedule only (this run: cosine)",
    "SAVE_FREQ": "how often the official script keeps a checkpoint; dvfl-tf backs up every epoch",
    "PRINT_FREQ": "logging only",
    "OUTPUT": "dvfl-tf writes the run to --output",
    "TAG": "names the official output folder only",
    "AMP_OPT_LEVEL": "apex mixed precision (the official main.py runs O1 whatever the file says); dvfl-tf computes "
    "in float32 unless --mixed-precision",
    "EVAL_MODE": "set by the official --eval flag",
    "THROUGHPUT_MODE": "set by the official command line",
    "DEBUG_MODE": "set by the official command line",
    "LOCAL_RANK": "set by torchrun",
    "MODEL.PRETRAINED": "timm's own weights; the official runs start from TRAIN.PRETRAINED_PATH",
    "TEACHER_MODEL.NAME": "names nothing in the official code",
    "TEACHER_MODEL.PRETRAINED": "timm's own weights; the teacher loads TEACHER_MODEL.PRETRAINED_PATH",
    "TEACHER_MODEL.DROP_PATH_RATE": "the teacher runs in inference mode, where drop path is off",
}
for _key in _FOCAL_UNUSED:
    NO_EFFECT["MODEL.FOCAL." + _key] = "the official build_model does not read it: MODEL.TYPE fixes the architecture"
    NO_EFFECT["TEACHER_MODEL.FOCAL." + _key] = (
        "the official build_teacher_model does not read it: TEACHER_MODEL.TYPE fixes the architecture"
    )
# Read by distillation only (main_KD.py).
_KD_ONLY = ("KD.", "TEACHER_MODEL.")
_PATH_KEYS = (
    "DATA.ROOT",
    "DATA.TRAIN_FILE",
    "DATA.VAL_FILE",
    "DATA.LABEL_LIST",
    "TRAIN.PRETRAINED_PATH",
    "TEACHER_MODEL.PRETRAINED_PATH",
    "MODEL.RESUME",
)
JOBS = ("train", "distill", "evaluate")


class OfficialConfigError(UserError, ValueError):
    """A config file or --opts value the official code would refuse, or one dvfl-tf cannot run."""


class OfficialConfig:
    """The flattened official values (`values`) and where each came from (`sources`: default/file/opts)."""

    def __init__(self, path, values, sources):
        self.path = path
        self.values = values
        self.sources = sources

    def __getitem__(self, key):
        return self.values[key]

    def set_keys(self):
        """The keys that the file or --opts set (not left at their default)."""
        return [key for key in sorted(self.values) if self.sources[key] != "default"]


# ---------------------------------------------------------------------------
# Layering (yacs semantics)
# ---------------------------------------------------------------------------


def _decode(value):
    """yacs `_decode_cfg_value`: a string that is a Python literal becomes it ('1e-4' -> 0.0001)."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _coerce(value, default, key, where):
    """yacs `_check_and_coerce_cfg_value_type`, also taking an int where a float is expected."""
    value = _decode(value)
    if isinstance(value, tuple):
        value = list(value)
    if default is None or value is None:
        if default is None and value is not None and not isinstance(value, list):
            raise OfficialConfigError(f"{where}: {key} expects a list or None. Received: {value!r}")
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        if type(value) is not type(default):
            raise OfficialConfigError(f"{where}: {key} expects true or false. Received: {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, list) and isinstance(value, list):
        return value
    if type(value) is not type(default):
        raise OfficialConfigError(
            f"{where}: {key} expects {type(default).__name__} (like {default!r}). Received: {value!r}"
        )
    return value


def _known(key):
    return key in OFFICIAL_DEFAULTS or key.startswith("MODEL.SPEC.")


def _flatten(tree, where, prefix=""):
    flat = {}
    if not isinstance(tree, dict):
        raise OfficialConfigError(f"{where}: expected a mapping of config sections. Received: {tree!r}")
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, where, key + "."))
        else:
            flat[key] = value
    return flat


def _read_yaml(path):
    import yaml  # noqa: PLC0415 (only the config commands need it)

    if not os.path.isfile(path):
        raise OfficialConfigError(f"{path}: config file not found")
    try:
        with open(path, encoding="utf-8") as handle:
            tree = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise OfficialConfigError(f"{path}: not valid YAML{line}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise OfficialConfigError(f"{path}: cannot read the config file ({error})") from None
    return tree or {}


def _merge_file(values, sources, path, seen):
    real = os.path.realpath(path)
    if real in seen:
        raise OfficialConfigError(f"{path}: BASE files include each other")
    seen = seen | {real}
    tree = _read_yaml(path)
    flat = _flatten(tree, path)
    for base in flat.pop("BASE", None) or [""]:
        if base:
            _merge_file(values, sources, os.path.join(os.path.dirname(path), base), seen)
    for key, value in flat.items():
        if not _known(key):
            raise OfficialConfigError(f"{path}: unknown key {key} (not a key of the official config)")
        values[key] = _coerce(value, OFFICIAL_DEFAULTS.get(key, value), key, path)
        sources[key] = "file"


def load_official_config(path=None, opts=()):
    """The official config: defaults, then `path` (with its BASE files), then the `opts` KEY VALUE pairs."""
    values = copy.deepcopy(OFFICIAL_DEFAULTS)
    sources = dict.fromkeys(values, "default")
    if path:
        _merge_file(values, sources, path, frozenset())
    opts = list(opts or ())
    if len(opts) % 2:
        raise OfficialConfigError(f"--opts: expected KEY VALUE pairs. Received an odd list: {' '.join(opts)}")
    for key, text in zip(opts[::2], opts[1::2]):
        if not _known(key):
            raise OfficialConfigError(f"--opts: unknown key {key} (not a key of the official config)")
        values[key] = _coerce(text, OFFICIAL_DEFAULTS.get(key, text), key, "--opts")
        sources[key] = "opts"
    values.pop("BASE", None)
    sources.pop("BASE", None)
    return OfficialConfig(path, values, sources)


# ---------------------------------------------------------------------------
# Mapping to dvfl-tf settings
# ---------------------------------------------------------------------------


def _path(value):
    return os.path.abspath(os.path.expanduser(value)) if value else value


class _Resolver:
    def __init__(self, config, job, explicit):
        self.config = config
        self.job = job
        self.explicit = explicit
        self.settings = {}
        self.sources = {}
        self.keys = {}
        self.notes = []
        self.no_effect = {}  # keys without effect in this configuration only

    def source_of(self, keys):
        return max((self.config.sources[key] for key in keys), key=SOURCES.index, default="default")

    def set(self, name, value, keys=()):
        """`name` from the official `keys`, unless the dvfl-tf option of that name was given explicitly."""
        if name in self.explicit:
            self.settings[name], self.sources[name] = self.explicit[name], "option"
        else:
            self.settings[name], self.sources[name] = value, self.source_of(keys)
        if keys:
            self.keys[name] = list(keys)
        return self.settings[name]

    def fail(self, key, message):
        where = "--opts" if self.config.sources.get(key) == "opts" else (self.config.path or "the defaults")
        raise OfficialConfigError(f"{where}: {key} {message}")


def _model(resolver, prefix):
    """The preset, drop path and backbone overrides of MODEL.* or TEACHER_MODEL.*."""
    config = resolver.config
    model_type = config[f"{prefix}.TYPE"]
    if model_type not in MODEL_TYPES:
        resolver.fail(f"{prefix}.TYPE", f"{model_type!r} is not supported. Expected one of {sorted(MODEL_TYPES)}")
    preset = MODEL_TYPES[model_type]
    overrides = {}
    from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS  # noqa: PLC0415

    backbone = PRESETS[preset]["backbone"]
    for key, argument in _FOCAL_ARGUMENTS.items():
        value = config[f"{prefix}.FOCAL.{key}"]
        if backbone.get(argument, _default_backbone_argument(argument)) != value:
            overrides[argument] = value
    tubelet = config[f"{prefix}.TUBELET_SIZE"]
    if tubelet != backbone.get("tubelet_size", 1):
        overrides["tubelet_size"] = tubelet
    embed_dim, depths = _TYPE_ARCHITECTURE[model_type]
    if config[f"{prefix}.FOCAL.EMBED_DIM"] != embed_dim or list(config[f"{prefix}.FOCAL.DEPTHS"]) != depths:
        resolver.notes.append(
            f"{prefix}.FOCAL.EMBED_DIM/DEPTHS ({config[f'{prefix}.FOCAL.EMBED_DIM']}, "
            f"{config[f'{prefix}.FOCAL.DEPTHS']}) differ from {model_type} ({embed_dim}, {depths}); the official "
            f"code builds {model_type} whatever they say, and so does dvfl-tf"
        )
    focal_keys = [f"{prefix}.FOCAL.{key}" for key in _FOCAL_ARGUMENTS] + [f"{prefix}.TUBELET_SIZE"]
    return preset, overrides, focal_keys


def _default_backbone_argument(argument):
    return {"tubelet_size": 1}.get(argument, False)


def resolve_settings(config, job, explicit=None, world_size=1):
    """The dvfl-tf settings of `config` (an `OfficialConfig`) for `job` (train, distill or evaluate).

    `explicit`: dvfl-tf options given on the command line, by setting name (they win).
    `world_size`: GPUs of the official run the global batch follows (DATA.BATCH_SIZE x world_size).
    Returns {"config_file", "settings", "sources", "official_keys", "no_effect", "notes"}.
    """
    if job not in JOBS:
        raise ValueError(f"job must be one of {JOBS}. Received: job={job!r}")
    explicit = {key: value for key, value in (explicit or {}).items() if value is not None}
    r = _Resolver(config, job, explicit)
    c = config.values

    dataset = c["DATA.DATASET"]
    if dataset not in SUPPORTED_DATASETS:
        r.fail("DATA.DATASET", f"{dataset!r} is not supported. Expected one of {list(SUPPORTED_DATASETS)}")

    # Data: the official list files, relative to the working directory (an explicit --dataset reads that
    # layout instead, under --data-root).
    r.set("dataset", "list", ["DATA.TRAIN_FILE", "DATA.VAL_FILE"])
    r.set("dataset_name", dataset, ["DATA.DATASET"])
    r.set("data_root", _path(c["DATA.ROOT"] or os.curdir), ["DATA.ROOT"])
    r.set("train_file", _path(c["DATA.TRAIN_FILE"]), ["DATA.TRAIN_FILE"])
    r.set("val_file", _path(c["DATA.VAL_FILE"]), ["DATA.VAL_FILE"])
    r.set("label_list", _path(c["DATA.LABEL_LIST"]), ["DATA.LABEL_LIST"])
    r.set("num_frames", c["DATA.NUM_FRAMES"], ["DATA.NUM_FRAMES"])
    if c["DATA.IMG_SIZE"] != c["DATA.INPUT_SIZE"]:
        r.fail(
            "DATA.INPUT_SIZE",
            f"({c['DATA.INPUT_SIZE']}) differs from DATA.IMG_SIZE ({c['DATA.IMG_SIZE']}): dvfl-tf builds the model for "
            "the size of its clips; set both to one size",
        )
    r.set("image_size", c["DATA.INPUT_SIZE"], ["DATA.IMG_SIZE", "DATA.INPUT_SIZE"])
    r.set("frame_interval", c["AUG.FRAME_INTERVAL"], ["AUG.FRAME_INTERVAL"])
    r.set("sampling", "official", [])
    r.set("views", [c["TEST.NUM_CLIP"], c["TEST.NUM_CROP"]], ["TEST.NUM_CLIP", "TEST.NUM_CROP"])

    # Model.
    preset, overrides, focal_keys = _model(r, "MODEL")
    model_name, init_name = {"distill": ("student", "student_init"), "evaluate": ("preset", None)}.get(
        job, ("model", "init_checkpoint")
    )
    r.set(model_name, preset, ["MODEL.TYPE"])
    r.set("backbone_overrides", overrides, focal_keys)
    r.set("drop_path_rate", c["MODEL.DROP_PATH_RATE"], ["MODEL.DROP_PATH_RATE"])
    r.set("num_classes", c["MODEL.NUM_CLASSES"], ["MODEL.NUM_CLASSES"])
    if c["DATA.NUM_CLASSES"] != c["MODEL.NUM_CLASSES"]:
        r.fail(
            "DATA.NUM_CLASSES",
            f"({c['DATA.NUM_CLASSES']}) differs from MODEL.NUM_CLASSES ({c['MODEL.NUM_CLASSES']}): the labels and the "
            "head must agree",
        )
    if job == "evaluate":
        r.set("resume", _path(c["MODEL.RESUME"]) or None, ["MODEL.RESUME"])  # the official --resume CKPT
    else:
        r.set(init_name, _path(c["TRAIN.PRETRAINED_PATH"]) or None, ["TRAIN.PRETRAINED_PATH"])
        if c["MODEL.RESUME"]:
            r.fail("MODEL.RESUME", "is not supported for training: dvfl-tf resumes a run from its --output folder")

    if job != "evaluate":
        _training(r, c, world_size)
    if job == "distill":
        _distillation(r, c)

    no_effect = []
    for key in config.set_keys():
        reason = r.no_effect.get(key) or NO_EFFECT.get(key)
        if key.startswith("MODEL.SPEC."):
            reason = "MODEL.SPEC is not read by the Video-FocalNet models"
        if job != "distill" and key.startswith(_KD_ONLY):
            reason = "read by distillation (main_KD.py) only"
        if job == "evaluate" and key.startswith(("TRAIN.", "AUG.")) and key != "AUG.FRAME_INTERVAL":
            reason = reason or "a training setting; evaluate does not train"
        if reason:
            no_effect.append({"key": key, "value": c[key], "reason": reason})
    return {
        "config_file": os.path.abspath(config.path) if config.path else None,
        "job": job,
        "settings": r.settings,
        "sources": r.sources,
        "official_keys": r.keys,
        "no_effect": no_effect,
        "notes": r.notes,
    }


def _training(r, c, world_size):
    for key, allowed, message in (
        ("TRAIN.START_EPOCH", (0,), "must be 0: dvfl-tf resumes a run from its --output folder"),
        ("TRAIN.ACCUMULATION_STEPS", (0, 1), "> 1 (gradient accumulation) is not supported"),
        ("TRAIN.LR_SCHEDULER.NAME", ("cosine",), "is not supported: dvfl-tf runs the official 'cosine' schedule"),
    ):
        if c[key] not in allowed:
            r.fail(key, f"{message}. Received: {c[key]!r}")
    optimizer = str(c["TRAIN.OPTIMIZER.NAME"]).lower()
    if optimizer not in ("sgd", "adamw"):
        r.fail("TRAIN.OPTIMIZER.NAME", f"{optimizer!r} is not supported. Expected 'sgd' or 'adamw'")
    if optimizer == "adamw" and (list(c["TRAIN.OPTIMIZER.BETAS"]) != [0.9, 0.999] or c["TRAIN.OPTIMIZER.EPS"] != 1e-8):
        r.fail("TRAIN.OPTIMIZER.BETAS", "other than (0.9, 0.999) with EPS 1e-8 is not supported for adamw")

    r.set("epochs", c["TRAIN.EPOCHS"], ["TRAIN.EPOCHS"])
    r.set("warmup_epochs", float(c["TRAIN.WARMUP_EPOCHS"]), ["TRAIN.WARMUP_EPOCHS"])
    r.set("world_size", world_size, [])
    per_replica = c["DATA.BATCH_SIZE"]
    if "batch_size" in r.explicit:  # dvfl-tf's --batch-size is the global batch
        global_batch = r.explicit["batch_size"]
        if global_batch % world_size:
            raise OfficialConfigError(
                f"--batch-size (the global batch) must be a multiple of --world-size {world_size}. "
                f"Received: --batch-size {global_batch}"
            )
        r.settings["global_batch_size"], r.sources["global_batch_size"] = global_batch, "option"
        r.settings["batch_size"], r.sources["batch_size"] = global_batch // world_size, "option"
    else:
        r.settings["batch_size"], r.sources["batch_size"] = per_replica, r.source_of(["DATA.BATCH_SIZE"])
        global_batch = per_replica * world_size
        r.settings["global_batch_size"] = global_batch
        r.sources["global_batch_size"] = r.sources["batch_size"]
    r.keys["batch_size"] = r.keys["global_batch_size"] = ["DATA.BATCH_SIZE"]
    # main.py's linear scaling, in its order of operations (rate x DATA.BATCH_SIZE x world size / 512.0).
    if r.sources["global_batch_size"] == "option":
        factors = (global_batch,)
    else:
        factors = (per_replica, world_size)

    def scaled(rate):
        for factor in factors:
            rate = rate * factor
        return rate / float(REFERENCE_BATCH_SIZE)

    r.set("base_lr", c["TRAIN.BASE_LR"], ["TRAIN.BASE_LR"])
    r.set("lr", scaled(r.settings["base_lr"]), ["TRAIN.BASE_LR", "DATA.BATCH_SIZE"])
    r.set("warmup_lr", scaled(c["TRAIN.WARMUP_LR"]), ["TRAIN.WARMUP_LR", "DATA.BATCH_SIZE"])
    r.set("min_lr", scaled(c["TRAIN.MIN_LR"]), ["TRAIN.MIN_LR", "DATA.BATCH_SIZE"])
    for name in ("lr", "warmup_lr", "min_lr"):
        if r.sources[name] != "option" and "option" in (r.sources["base_lr"], r.sources["global_batch_size"]):
            r.sources[name] = (
                "option" if name == "lr" or r.sources["global_batch_size"] == "option" else r.sources[name]
            )
    r.set("lr_scaling", f"x {global_batch} / {REFERENCE_BATCH_SIZE} (global batch / 512)", ["DATA.BATCH_SIZE"])
    r.set("weight_decay", c["TRAIN.WEIGHT_DECAY"], ["TRAIN.WEIGHT_DECAY"])
    r.set("optimizer", optimizer, ["TRAIN.OPTIMIZER.NAME"])
    r.set("momentum", c["TRAIN.OPTIMIZER.MOMENTUM"], ["TRAIN.OPTIMIZER.MOMENTUM"])
    r.set("clipnorm", c["TRAIN.CLIP_GRAD"] or 0.0, ["TRAIN.CLIP_GRAD"])
    r.set("seed", c["SEED"], ["SEED"])

    # Augmentation, as the official datasets/build.py and main.py apply it.
    r.set("flip_ratio", c["AUG.FLIP_RATIO"], ["AUG.FLIP_RATIO"])
    r.set("color_jitter", c["AUG.COLOR_JITTER"], ["AUG.COLOR_JITTER"])
    r.set("gray_scale", c["AUG.GRAY_SCALE"], ["AUG.GRAY_SCALE"])
    mixup = r.set("mixup", c["AUG.MIXUP"], ["AUG.MIXUP"])
    r.set("cutmix", c["AUG.CUTMIX"], ["AUG.CUTMIX"])
    r.set("mixup_prob", 1.0, [])
    r.set("mixup_switch_prob", c["AUG.MIXUP_SWITCH_PROB"], ["AUG.MIXUP_SWITCH_PROB"])
    # main.py: with mixup the smoothing is AUG.LABEL_SMOOTH (inside the blending), else MODEL.LABEL_SMOOTHING.
    smoothing_key = "AUG.LABEL_SMOOTH" if mixup > 0 else "MODEL.LABEL_SMOOTHING"
    r.set("label_smoothing", c[smoothing_key], [smoothing_key, "AUG.MIXUP"])
    unused_key = "MODEL.LABEL_SMOOTHING" if mixup > 0 else "AUG.LABEL_SMOOTH"
    r.no_effect[unused_key] = f"main.py uses {smoothing_key} when AUG.MIXUP is {mixup}"
    if mixup <= 0:
        for key in ("AUG.CUTMIX", "AUG.MIXUP_SWITCH_PROB"):
            r.no_effect[key] = "main.py blends (mixup or cutmix) only when AUG.MIXUP > 0"
    train_views = (c["TEST.NUM_CLIP"], c["TEST.NUM_CROP"])
    if train_views != (1, 1):
        r.notes.append(
            f"TEST.NUM_CLIP x TEST.NUM_CROP = {train_views[0]}x{train_views[1]}: dvfl-tf validates each epoch on "
            "1x1 views; run `dvfl-tf evaluate --views` on the result for the multi-view figure"
        )


def _distillation(r, c):
    r.set("alpha", c["KD.ALPHA"], ["KD.ALPHA"])
    r.set("temperature", float(c["KD.TEMPERATURE"]), ["KD.TEMPERATURE"])
    teacher_preset, teacher_overrides, focal_keys = _model(r, "TEACHER_MODEL")
    r.set("teacher_preset", teacher_preset, ["TEACHER_MODEL.TYPE"])
    if teacher_overrides:
        r.fail(
            "TEACHER_MODEL.FOCAL",
            f"settings other than the preset's are not supported for the teacher. Received: {teacher_overrides}",
        )
    r.set("teacher", _path(c["TEACHER_MODEL.PRETRAINED_PATH"]) or None, ["TEACHER_MODEL.PRETRAINED_PATH"])
    teacher_classes = c["TEACHER_MODEL.NUM_CLASSES"]
    if teacher_classes != c["MODEL.NUM_CLASSES"]:
        r.notes.append(
            f"TEACHER_MODEL.NUM_CLASSES ({teacher_classes}) differs from MODEL.NUM_CLASSES ({c['MODEL.NUM_CLASSES']}) "
            "(the official HMDB51 KD file says 50 for the 51-class HMDB51): the forward KL compares the two "
            "models' class scores one to one, so dvfl-tf requires a teacher of MODEL.NUM_CLASSES classes"
        )
