"""The tables behind `official_run_config`: which official keys map to what, and which have no effect.

Every official key is in `official_config_defaults`; here are the supported datasets and model types, the
`MODEL.FOCAL.*` keys the official `build_model` passes on, and the keys without effect on a dvfl-tf run
(`NO_EFFECT`, with the reason). A key that acts, or that dvfl-tf refuses, is handled by the resolver.
"""

from dvfl_tf.data.datasets.registry import OFFICIAL_DATASETS

SOURCES = ("default", "file", "opts", "option")
# DATA.DATASET only names the official output folder; these are the datasets dvfl-tf knows (the official
# layouts of the dataset registry).
SUPPORTED_DATASETS = OFFICIAL_DATASETS
# Official MODEL.TYPE (timm model name; it alone fixes depths and width) -> dvfl-tf preset.
MODEL_TYPES = {
    "videofocalnet_nano": "vfl_net_nano",
    "videofocalnet_tiny": "video_focalnet_tiny",
    "videofocalnet_small": "video_focalnet_small",
    "videofocalnet_base": "video_focalnet_base",
}
# The architecture of each MODEL.TYPE (the official registered models), to say when FOCAL.EMBED_DIM /
# DEPTHS in a file disagree with it (the official build_model never reads them).
TYPE_ARCHITECTURE = {
    "videofocalnet_nano": (96, [1, 1, 2, 1]),
    "videofocalnet_tiny": (96, [2, 2, 6, 2]),
    "videofocalnet_small": (96, [2, 2, 18, 2]),
    "videofocalnet_base": (128, [2, 2, 18, 2]),
}
# MODEL.FOCAL.* keys the official build_model passes to the model -> backbone argument.
FOCAL_ARGUMENTS = {
    "FOCAL_LEVELS": "focal_levels",
    "FOCAL_WINDOWS": "focal_windows",
    "USE_CONV_EMBED": "use_conv_embed",
    "USE_LAYERSCALE": "use_layerscale",
    "USE_POSTLN": "use_postln",
    "USE_POSTLN_IN_MODULATION": "use_postln_in_modulation",
    "NORMALIZE_MODULATOR": "normalize_modulator",
}
FOCAL_UNUSED = ("EMBED_DIM", "DEPTHS", "PATCH_SIZE", "IN_CHANS", "MLP_RATIO", "PATCH_NORM", "FOCAL_FACTORS")
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
for _key in FOCAL_UNUSED:
    NO_EFFECT["MODEL.FOCAL." + _key] = "the official build_model does not read it: MODEL.TYPE fixes the architecture"
    NO_EFFECT["TEACHER_MODEL.FOCAL." + _key] = (
        "the official build_teacher_model does not read it: TEACHER_MODEL.TYPE fixes the architecture"
    )
# Read by distillation only (main_KD.py).
KD_ONLY = ("KD.", "TEACHER_MODEL.")
JOBS = ("train", "distill", "evaluate")
