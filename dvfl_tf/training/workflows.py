"""The `train` and `distill` jobs: data + models + a resumable run."""

import os

import keras

from dvfl_tf.data.data_options import evaluation_dataset, evaluation_steps, load_dataset_index, training_datasets
from dvfl_tf.data.datasets import DatasetError
from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.model_loading import load_keras_model
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, unknown_preset_message
from dvfl_tf.training.accelerators import make_strategy
from dvfl_tf.training.callbacks import backup_epochs
from dvfl_tf.training.model_setup import ModelSpecError, build_or_load, load_teacher
from dvfl_tf.training.run import train_run
from dvfl_tf.training.run_dir import refuse_foreign
from dvfl_tf.training.teacher_cache import cache_class_names, offline_training_dataset


def _resolve_input_shape(model_spec, data_options):
    """Frames and image size: the options if set, else the model's (a .keras file) or the preset's."""
    if str(model_spec) in PRESETS:
        preset = PRESETS[model_spec]["backbone"]
        data_options.num_frames = data_options.num_frames or preset["num_frames"]
        data_options.image_size = data_options.image_size or preset["image_size"]
    elif str(model_spec).endswith(".keras") and not (data_options.num_frames and data_options.image_size):
        model = load_keras_model(model_spec)
        geometry = clip_geometry(model)
        data_options.num_frames = data_options.num_frames or geometry.num_frames
        data_options.image_size = data_options.image_size or geometry.height
    elif not str(model_spec).endswith(".keras"):
        raise ModelSpecError(unknown_preset_message(model_spec, alternative="a .keras file"))
    return data_options


def seeded_training_datasets(config, data_options, validate):
    """`training_datasets` for `config.seed`, the same stream whatever ran before in this process.

    The pipeline's per-epoch salts come from `tf.data.Dataset.random(seed=config.seed)`,
    and TensorFlow combines an op seed with its global seed: left as the process
    had it, a run's clips depended on what ran before it (the first run of a
    process read another stream than a second one), so two runs meant to see the
    same data (distilled vs trained alone) could see different clips.
    """
    keras.utils.set_random_seed(config.seed)
    # A resumed run reads on from where the saved epochs stopped, as the uninterrupted run does.
    start_epoch = backup_epochs(os.path.join(config.output, "backup"))
    return training_datasets(
        data_options, config.batch_size, config.seed, config.steps_per_epoch, validate, start_epoch=start_epoch
    )


def _check_num_classes(index, num_classes):
    """The class count a config file promises (MODEL.NUM_CLASSES) against the dataset's, before anything is written."""
    if num_classes is not None and num_classes != index.num_classes:
        raise DatasetError(
            f"The config gives MODEL.NUM_CLASSES {num_classes} but the dataset has {index.num_classes} classes "
            f"({index.name}). Fix the config (--opts MODEL.NUM_CLASSES {index.num_classes} DATA.NUM_CLASSES "
            f"{index.num_classes}) or the label list."
        )


def train(
    config,
    data_options,
    model="vfl_net_nano",
    init_checkpoint=None,
    drop_path_rate=None,
    overrides=None,
    validate=True,
    num_classes=None,
):
    """Trains `model` (preset or .keras) on labels alone (teacher fine-tuning or a from-scratch student).

    Same step as distillation with alpha = 0. `num_classes`: the count the dataset must have
    (a config file's MODEL.NUM_CLASSES), or None. Returns the run state.
    """
    refuse_foreign(config.output)  # before the data and models are loaded: a quick answer
    config.alpha = 0.0
    strategy = make_strategy(config.strategy, config.tpu_address or None)  # before any TensorFlow operation
    _resolve_input_shape(model, data_options)
    index, train_ds, val_ds, steps, val_steps = seeded_training_datasets(config, data_options, validate)
    _check_num_classes(index, num_classes)
    config.extra.update(
        job="train",
        model=str(model),
        init_checkpoint=init_checkpoint,
        drop_path_rate=drop_path_rate,
        overrides=overrides or {},
        data=data_options.to_dict(),
        class_names=index.class_names,
    )

    def build():
        student = build_or_load(
            model,
            index.num_classes,
            data_options.num_frames,
            data_options.image_size,
            drop_path_rate,
            overrides,
            init_checkpoint,
            class_names=index.class_names,
        )
        return student, None

    return train_run(config, build, train_ds, steps, val_ds, val_steps, strategy=strategy)


def distill(
    config,
    data_options,
    teacher,
    student="vfl_net_nano",
    teacher_preset="video_focalnet_base",
    drop_path_rate=None,
    overrides=None,
    validate=True,
    student_init=None,
    num_classes=None,
):
    """Distils `teacher` (.keras or a fine-tuned checkpoint) into `student` (preset or .keras).

    `student_init`: a pretrained checkpoint the student starts from (DVFL-Net: an
    ImageNet FocalNet-T srf, .pth or timm .safetensors). `num_classes`: the count the
    dataset must have (a config file's MODEL.NUM_CLASSES), or None. Returns the run state.
    """
    refuse_foreign(config.output)
    if not teacher or not (os.path.isfile(teacher)):
        raise FileNotFoundError(f"Teacher not found: {teacher!r}")
    strategy = make_strategy(config.strategy, config.tpu_address or None)  # before any TensorFlow operation
    _resolve_input_shape(student, data_options)
    index, train_ds, val_ds, steps, val_steps = seeded_training_datasets(config, data_options, validate)
    _check_num_classes(index, num_classes)
    config.extra.update(
        job="distill",
        teacher=str(teacher),
        teacher_preset=teacher_preset,
        student=str(student),
        student_init=student_init,
        drop_path_rate=drop_path_rate,
        overrides=overrides or {},
        data=data_options.to_dict(),
        class_names=index.class_names,
    )

    def build():
        teacher_model = load_teacher(
            teacher, index.num_classes, teacher_preset, data_options.num_frames, data_options.image_size
        )
        student_model = build_or_load(
            student,
            index.num_classes,
            data_options.num_frames,
            data_options.image_size,
            drop_path_rate,
            overrides,
            student_init,
            class_names=index.class_names,
        )
        return student_model, teacher_model

    return train_run(config, build, train_ds, steps, val_ds, val_steps, strategy=strategy)


def distill_offline(
    config,
    teacher_logits,
    student="vfl_net_nano",
    drop_path_rate=None,
    overrides=None,
    validate=True,
    student_init=None,
):
    """Distils from cached teacher logits (see `teacher_cache`); no teacher forward pass. Returns the run state."""

    refuse_foreign(config.output)
    if not os.path.isfile(teacher_logits):
        raise FileNotFoundError(f"Teacher-logit cache not found: {teacher_logits!r}")
    strategy = make_strategy(config.strategy, config.tpu_address or None)  # before any TensorFlow operation
    keras.utils.set_random_seed(config.seed)  # its shuffle's op seed is combined with the global seed too
    train_ds, num_classes, videos, data_options = offline_training_dataset(
        teacher_logits, config.batch_size, config.seed
    )
    class_names = cache_class_names(teacher_logits)
    steps = config.steps_per_epoch or max(1, videos // config.batch_size)
    val_ds = val_steps = None
    if validate:
        index = load_dataset_index(data_options)
        val_ds = evaluation_dataset(data_options, index, config.batch_size, repeat=True)
        val_steps = evaluation_steps(index, data_options.eval_split, config.batch_size)
    config.extra.update(
        job="distill_offline",
        teacher_logits=str(teacher_logits),
        student=str(student),
        student_init=student_init,
        drop_path_rate=drop_path_rate,
        overrides=overrides or {},
        data=data_options.to_dict(),
        class_names=class_names,
    )

    def build():
        return build_or_load(
            student,
            num_classes,
            data_options.num_frames,
            data_options.image_size,
            drop_path_rate,
            overrides,
            student_init,
            class_names=class_names,
        ), None

    return train_run(config, build, train_ds, steps, val_ds, val_steps, strategy=strategy)
