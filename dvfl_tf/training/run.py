"""A training run that survives: resolved config, logs, curves, checkpoints, resume after a kill.

Layout of a run directory:

    config.json        the resolved configuration (a restart must match it)
    state.json         epochs done, best value, status
    history.csv        one row per epoch (Keras CSVLogger)
    curves_*.png       training curves
    tensorboard/       TensorBoard logs
    backup/            Keras BackupAndRestore state (model + optimizer), removed when the run ends
    best.keras, last.keras   the student (the teacher is not saved)
"""

import dataclasses
import json
import os

import keras

from dvfl_tf.training.accelerators import is_chief, make_strategy, set_mixed_precision, shard_by_data
from dvfl_tf.training.callbacks import (
    StopOnNaN,
    StudentCheckpoints,
    TrainingCurves,
    WorkerBackupAndRestore,
    plot_history,
    write_json,
)
from dvfl_tf.training.distiller import Distiller
from dvfl_tf.training.recipe import WarmupCosine, build_optimizer, scaled_learning_rate

# Fields that may change between a run and its restart without changing the result.
_RESTART_TOLERANT = {"output", "strategy", "tpu_address", "verbose"}


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run (saved as `config.json`). Defaults are the official recipe."""

    output: str = "runs/run"
    epochs: int = 60
    batch_size: int = 8
    steps_per_epoch: int = 0  # 0: one pass over the training set
    optimizer: str = "sgd"
    lr: float = 0.0  # 0: base_lr scaled by batch_size / 512
    base_lr: float = 0.1
    min_lr: float = 0.0
    warmup_epochs: float = 5.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 1e-4
    clipnorm: float = 5.0
    temperature: float = 10.0
    alpha: float = 0.2
    divergence: str = "forward"
    seed: int = 0
    strategy: str = "auto"
    tpu_address: str = ""
    mixed_precision: bool = False
    xla: bool = False
    verbose: int = 1
    # Free-form description of the data and models (dataset, presets, overrides, teacher path...).
    extra: dict = dataclasses.field(default_factory=dict)

    def peak_lr(self):
        return self.lr if self.lr > 0 else scaled_learning_rate(self.base_lr, self.batch_size)

    def to_dict(self):
        return dataclasses.asdict(self)


class RunConfigMismatch(ValueError):
    pass


def _prepare_run_dir(config, chief=True):
    """Creates the run directory, or checks that a restart uses the same configuration (the chief writes)."""
    if chief:
        os.makedirs(config.output, exist_ok=True)
    path = os.path.join(config.output, "config.json")
    new = json.loads(json.dumps(config.to_dict()))
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        changed = sorted(k for k in set(old) | set(new) if k not in _RESTART_TOLERANT and old.get(k) != new.get(k))
        if changed:
            details = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed)
            raise RunConfigMismatch(
                f"{config.output} holds a run with a different configuration ({details}). "
                "Rerun with the same options to resume it, or choose another --output."
            )
    if chief:
        write_json(path, new)


def read_state(run_dir):
    path = os.path.join(run_dir, "state.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def train_run(config, build_models, train_data, steps_per_epoch, validation_data=None, validation_steps=None,
              strategy=None):
    """Trains (or distils) as configured; resumes the run in `config.output` if it was interrupted.

    Args:
        config: `TrainConfig`.
        build_models: callable returning `(student, teacher_or_None)`; called inside
            the distribution strategy's scope.
        train_data: repeated `tf.data.Dataset` of (clips, targets) batches, targets
            one-hot/soft or `{"labels", "teacher_logits"}` (offline teacher).
        steps_per_epoch: batches per epoch (sets the LR schedule).
        validation_data: finite dataset of (clips, targets), or None.
        strategy: the `tf.distribute` strategy, if the caller created it (it must be
            created before any TensorFlow operation for multi-worker training);
            default: `make_strategy(config.strategy)`.

    Returns the state dict (epochs_done, best_value, status...). The student
    of the run is in `best.keras` / `last.keras`.
    """
    if strategy is None:
        strategy = make_strategy(config.strategy, config.tpu_address or None)
    chief = is_chief(strategy)  # only the chief writes the run directory
    if strategy.num_replicas_in_sync > 1:
        print(f"{config.strategy} ({type(strategy).__name__}): {strategy.num_replicas_in_sync} replicas in sync, "
              f"this worker is {'the' if chief else 'not the'} chief.", flush=True)
    _prepare_run_dir(config, chief)
    state_path = os.path.join(config.output, "state.json")
    state = read_state(config.output)
    if state.get("status") != "complete" and state.get("epochs_done", 0) >= config.epochs:
        # Killed after the last epoch was saved but before the run was marked complete.
        state["status"] = "complete"
        if chief:
            write_json(state_path, state)
    if state.get("status") == "complete":
        print(f"{config.output}: this run finished already ({state.get('epochs_done')} epochs); nothing to do.")
        return state

    keras.utils.set_random_seed(config.seed)
    set_mixed_precision(config.mixed_precision, config.strategy)
    train_data = shard_by_data(train_data, strategy)
    validation_data = shard_by_data(validation_data, strategy)
    total_steps = max(1, config.epochs * steps_per_epoch)
    warmup_steps = min(total_steps, int(round(config.warmup_epochs * steps_per_epoch)))
    with strategy.scope():
        student, teacher = build_models()
        distiller = Distiller(
            student, teacher, temperature=config.temperature, alpha=config.alpha, divergence=config.divergence
        )
        schedule = WarmupCosine(config.peak_lr(), total_steps, warmup_steps, min_lr=min(config.min_lr, config.peak_lr()))
        optimizer = build_optimizer(
            student,
            schedule,
            optimizer=config.optimizer,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
            clipnorm=config.clipnorm,
        )
        distiller.compile(optimizer=optimizer, jit_compile=bool(config.xla))
        # BackupAndRestore restores into a built model and optimizer.
        distiller(keras.ops.zeros((1,) + tuple(student.inputs[0].shape[1:])))
        distiller.optimizer.build(student.trainable_variables)

    monitor = "val_top1" if validation_data is not None else "top1"
    history_csv = os.path.join(config.output, "history.csv")
    nan_stop = StopOnNaN()
    callbacks = [
        # First, so that a resumed run starts at the epoch after the last completed one.
        WorkerBackupAndRestore(os.path.join(config.output, "backup"), chief=chief, save_freq="epoch"),
        nan_stop,
    ]
    if chief:
        callbacks += [
            keras.callbacks.CSVLogger(history_csv, append=True),
            keras.callbacks.TensorBoard(os.path.join(config.output, "tensorboard"), profile_batch=0),
            StudentCheckpoints(config.output, monitor, state_path),
            TrainingCurves(history_csv, config.output),
        ]
        state.update(status="running")
        write_json(state_path, state)
    distiller.fit(
        train_data,
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        validation_steps=validation_steps,
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=config.verbose,
    )
    if not chief:
        return {"chief": False, "status": "nan" if nan_stop.stopped is not None else "complete",
                "epochs_done": config.epochs if nan_stop.stopped is None else None}
    state = read_state(config.output)
    state["status"] = "nan" if nan_stop.stopped is not None else "complete"
    write_json(state_path, state)
    plot_history(history_csv, config.output)
    return state
