"""The authors' config files (`main.py` / `main_KD.py --cfg FILE --opts KEY VALUE ...`) as dvfl-tf settings.

`load_official_config(path, opts)` (`official_config_file`) layers the values as the official
`config.py` does (yacs); the key tables are in `official_run_keys`.

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

import os

from dvfl_tf.convert.official_config_file import OfficialConfigError
from dvfl_tf.convert.official_run_keys import (
    FOCAL_ARGUMENTS,
    JOBS,
    KD_ONLY,
    MODEL_TYPES,
    NO_EFFECT,
    REFERENCE_BATCH_SIZE,
    SOURCES,
    SUPPORTED_DATASETS,
    TYPE_ARCHITECTURE,
)
from dvfl_tf.core.checks import at_least


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
    for key, argument in FOCAL_ARGUMENTS.items():
        value = config[f"{prefix}.FOCAL.{key}"]
        if backbone.get(argument, _default_backbone_argument(argument)) != value:
            overrides[argument] = value
    tubelet = config[f"{prefix}.TUBELET_SIZE"]
    if tubelet != backbone.get("tubelet_size", 1):
        overrides["tubelet_size"] = tubelet
    embed_dim, depths = TYPE_ARCHITECTURE[model_type]
    if config[f"{prefix}.FOCAL.EMBED_DIM"] != embed_dim or list(config[f"{prefix}.FOCAL.DEPTHS"]) != depths:
        resolver.notes.append(
            f"{prefix}.FOCAL.EMBED_DIM/DEPTHS ({config[f'{prefix}.FOCAL.EMBED_DIM']}, "
            f"{config[f'{prefix}.FOCAL.DEPTHS']}) differ from {model_type} ({embed_dim}, {depths}); the official "
            f"code builds {model_type} whatever they say, and so does dvfl-tf"
        )
    focal_keys = [f"{prefix}.FOCAL.{key}" for key in FOCAL_ARGUMENTS] + [f"{prefix}.TUBELET_SIZE"]
    return preset, overrides, focal_keys


def _default_backbone_argument(argument):
    return {"tubelet_size": 1}.get(argument, False)


# GPUs of the official run that the global batch follows.
WORLD_SIZE = at_least(1)


def resolve_settings(config, job, explicit=None, world_size=1):
    """The dvfl-tf settings of `config` (an `OfficialConfig`) for `job` (train, distill or evaluate).

    `explicit`: dvfl-tf options given on the command line, by setting name (they win).
    `world_size`: GPUs of the official run the global batch follows (DATA.BATCH_SIZE x world_size).
    Returns {"config_file", "settings", "sources", "official_keys", "no_effect", "notes"}.
    """
    if job not in JOBS:
        raise ValueError(f"job must be one of {JOBS}. Received: job={job!r}")
    WORLD_SIZE.check("world_size", world_size)
    explicit = {key: value for key, value in (explicit or {}).items() if value is not None}
    r = _Resolver(config, job, explicit)
    c = config.values
    _data(r, c)
    _model_and_start(r, c, job)
    if job != "evaluate":
        _training(r, c, world_size)
    if job == "distill":
        _distillation(r, c)
    return {
        "config_file": os.path.abspath(config.path) if config.path else None,
        "job": job,
        "settings": r.settings,
        "sources": r.sources,
        "official_keys": r.keys,
        "no_effect": _no_effect(config, r, job),
        "notes": r.notes,
    }


def _data(r, c):
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


def _model_and_start(r, c, job):
    """The model (preset, overrides, classes) and where its weights start from."""
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


def _no_effect(config, r, job):
    """The keys the config file sets that change nothing in this job, each with the reason."""
    c = config.values
    no_effect = []
    for key in config.set_keys():
        reason = r.no_effect.get(key) or NO_EFFECT.get(key)
        if key.startswith("MODEL.SPEC."):
            reason = "MODEL.SPEC is not read by the Video-FocalNet models"
        if job != "distill" and key.startswith(KD_ONLY):
            reason = "read by distillation (main_KD.py) only"
        if job == "evaluate" and key.startswith(("TRAIN.", "AUG.")) and key != "AUG.FRAME_INTERVAL":
            reason = reason or "a training setting; evaluate does not train"
        if reason:
            no_effect.append({"key": key, "value": c[key], "reason": reason})
    return no_effect


def _training(r, c, world_size):
    optimizer = _supported_training(r, c)
    r.set("epochs", c["TRAIN.EPOCHS"], ["TRAIN.EPOCHS"])
    r.set("warmup_epochs", float(c["TRAIN.WARMUP_EPOCHS"]), ["TRAIN.WARMUP_EPOCHS"])
    r.set("world_size", world_size, [])
    _batch_and_learning_rates(r, c, world_size)
    r.set("weight_decay", c["TRAIN.WEIGHT_DECAY"], ["TRAIN.WEIGHT_DECAY"])
    r.set("optimizer", optimizer, ["TRAIN.OPTIMIZER.NAME"])
    r.set("momentum", c["TRAIN.OPTIMIZER.MOMENTUM"], ["TRAIN.OPTIMIZER.MOMENTUM"])
    r.set("clipnorm", c["TRAIN.CLIP_GRAD"] or 0.0, ["TRAIN.CLIP_GRAD"])
    r.set("seed", c["SEED"], ["SEED"])
    _augmentation(r, c)


def _supported_training(r, c):
    """Refuse the official training settings dvfl-tf does not run. Returns the optimizer name."""
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
    return optimizer


def _batch_and_learning_rates(r, c, world_size):
    """The per-replica and global batch, and the rates scaled to the global batch as main.py does."""
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


def _augmentation(r, c):
    """Augmentation, as the official datasets/build.py and main.py apply it."""
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
