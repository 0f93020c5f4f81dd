"""A training run that survives: resolved config, logs, curves, checkpoints, resume after a kill.

Layout of a run directory:

    .dvfl-tf-run       marks the folder as a run (a non-empty folder without it is refused)
    config.json        the resolved configuration (a restart must match it; a larger
                       --epochs extends the run, recorded under "schedule_changes")
    state.json         epochs done, best value, status
    history.csv        one row per finite epoch (Keras CSVLogger)
    curves_*.png       training curves
    tensorboard/       TensorBoard logs
    backup/            model + optimizer of the last finite epoch (resume, extend)
    best.keras, last.keras   the student (the teacher is not saved), finite epochs only

Nothing is written before the models are built: a start rejected for its
options, files or a teacher/student/dataset mismatch leaves the folder as it
was, so the corrected command runs in the same folder.
"""

import json
import os

import keras

from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.training.accelerators import is_chief, make_strategy, set_mixed_precision, shard_by_data
from dvfl_tf.training.callbacks import (
    FiniteGuard,
    RunBackup,
    StudentCheckpoints,
    TrainingCurves,
    backup_epochs,
    plot_history,
    write_json,
)
from dvfl_tf.training.distillation_losses import LogitsDistillation
from dvfl_tf.training.distiller import Distiller, validate_student_loss_weight
from dvfl_tf.training.optimization import WarmupCosine, build_optimizer
from dvfl_tf.training.run_dir import RunDirError, check_run_dir, create_run_dir, truncate_history
from dvfl_tf.training.train_config import TrainConfig  # noqa: F401 (callers import the run's config from here)

# Kept for callers that catch it: a run folder that cannot hold this run.
RunConfigMismatch = RunDirError


def read_state(run_dir):
    path = os.path.join(run_dir, "state.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def train_run(
    config, build_models, train_data, steps_per_epoch, validation_data=None, validation_steps=None, strategy=None
):
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
    # Built before anything runs: they check the temperature, divergence and alpha.
    losses = {
        "distillation_losses": LogitsDistillation(config.temperature, config.divergence),
        "student_loss_weight": validate_student_loss_weight(1.0 - config.alpha),
    }
    if strategy is None:
        strategy = make_strategy(config.strategy, config.tpu_address or None)
    chief = is_chief(strategy)  # only the chief writes the run directory
    _say_replicas(config, strategy, chief)
    run = _RunFolder(config)
    # Read-only: a foreign folder, another configuration, or a smaller --epochs is refused here.
    extension = check_run_dir(config.output, config.to_dict(), run.epochs_done)
    if extension is None and run.finished(config.epochs, chief):
        return run.state

    keras.utils.set_random_seed(config.seed)
    set_mixed_precision(config.mixed_precision, config.strategy)
    train_data = shard_by_data(train_data, strategy)
    validation_data = shard_by_data(validation_data, strategy)
    with strategy.scope():
        distiller = _compiled_distiller(config, build_models, losses, steps_per_epoch)

    # The models are built and agree with the data: only now is anything written (by the chief).
    if chief:
        create_run_dir(config.output, config.to_dict(), extension)
        truncate_history(run.history_csv, run.epochs_done)
    run.say_start(config.epochs, extension)
    return _fit(distiller, run, config, chief, train_data, steps_per_epoch, validation_data, validation_steps)


def _fit(distiller, run, config, chief, train_data, steps_per_epoch, validation_data, validation_steps):
    """Run the epochs; the state of the run (a worker's short state when not the chief)."""
    guard = FiniteGuard()
    distiller.fit(
        train_data,
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        validation_steps=validation_steps,
        callbacks=run.callbacks(guard, chief, monitor="val_top1" if validation_data is not None else "top1"),
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=config.verbose,
    )
    if not chief:
        return {
            "chief": False,
            "status": "nan" if guard.stopped is not None else "complete",
            "epochs_done": config.epochs if guard.stopped is None else None,
        }
    return run.close(guard)


def _say_replicas(config, strategy, chief):
    if strategy.num_replicas_in_sync > 1:
        print(
            f"{config.strategy} ({type(strategy).__name__}): {strategy.num_replicas_in_sync} replicas in sync, "
            f"this worker is {'the' if chief else 'not the'} chief.",
            flush=True,
        )


def _compiled_distiller(config, build_models, losses, steps_per_epoch):
    """The Distiller of the run's models, compiled with its optimizer and schedule, built (inside the strategy)."""
    total_steps = max(1, config.epochs * steps_per_epoch)
    warmup_steps = min(total_steps, int(round(config.warmup_epochs * steps_per_epoch)))
    student, teacher = build_models()
    distiller = Distiller(teacher, student, **losses)
    schedule = WarmupCosine(
        config.peak_lr(),
        total_steps,
        warmup_steps,
        min_lr=min(config.min_lr, config.peak_lr()),
        warmup_lr=None if config.warmup_lr is None else min(config.warmup_lr, config.peak_lr()),
    )
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
    distiller(keras.ops.zeros(clip_geometry(student).batch_shape(1)))
    distiller.optimizer.build(student.trainable_variables)
    return distiller


class _RunFolder:
    """The run directory's files as one run reads and writes them: state, backup, history."""

    def __init__(self, config):
        self.output = config.output
        self.state_path = os.path.join(config.output, "state.json")
        self.backup_dir = os.path.join(config.output, "backup")
        self.history_csv = os.path.join(config.output, "history.csv")
        self.state = read_state(config.output)
        self.epochs_done = backup_epochs(self.backup_dir)

    def finished(self, epochs, chief):
        """True (having said so) when the run holds `epochs` epochs already."""
        if self.state.get("status") == "complete" and self.state.get("epochs_done", 0) >= epochs:
            print(
                f"{self.output}: this run finished already ({self.state.get('epochs_done')} epochs); nothing to do. "
                "Give a larger --epochs to extend it."
            )
            return True
        if self.epochs_done >= epochs:
            # Killed after the last epoch was saved but before the run was marked complete.
            self.state["status"] = "complete"
            if chief:
                write_json(self.state_path, self.state)
            return True
        return False

    def say_start(self, epochs, extension):
        if extension:
            print(
                f"Extending {self.output} from {extension['epochs'][0]} to {extension['epochs'][1]} epochs "
                f"(the schedule change is recorded in config.json)."
            )
        if self.epochs_done:
            note = ""
            if self.state.get("status") == "nan":
                note = " (the last finite epoch; the previous attempt stopped on a non-finite loss)"
            print(
                f"Resuming {self.output} from epoch {self.epochs_done + 1} of {epochs}: epochs 1-{self.epochs_done} "
                f"are done{note}."
            )

    def callbacks(self, guard, chief, monitor):
        callbacks = [
            # First, so that the savers know whether the epoch is finite.
            guard,
            # Restores first, so that a resumed run starts at the epoch after the last saved one (every worker
            # restores; the chief writes).
            RunBackup(self.backup_dir, guard, chief=chief),
        ]
        if chief:
            callbacks += [
                keras.callbacks.CSVLogger(self.history_csv, append=True),
                keras.callbacks.TensorBoard(os.path.join(self.output, "tensorboard"), profile_batch=0),
                StudentCheckpoints(self.output, monitor, self.state_path, guard),
                TrainingCurves(self.history_csv, self.output),
            ]
            self.state.update(status="running")
            write_json(self.state_path, self.state)
        return callbacks

    def close(self, guard):
        """The final state (complete, or stopped on a non-finite loss), written with the curves."""
        state = read_state(self.output)
        if guard.stopped is not None:
            # The CSV logged the rejected epoch: keep one row per saved epoch, so the next run appends after them.
            truncate_history(self.history_csv, state.get("epochs_done", 0))
            state.update(status="nan", stopped=guard.stopped)
            print(nan_message(self.output, guard.stopped, state.get("epochs_done", 0)))
        else:
            state["status"] = "complete"
            state.pop("stopped", None)
        write_json(self.state_path, state)
        plot_history(self.history_csv, self.output)
        return state


def nan_message(output, stopped, epochs_done):
    """What happened, which epoch the files hold, and what to try."""
    where = f"epoch {stopped['epoch']}" + (f", batch {stopped['batch']}" if stopped.get("batch") else "")
    what = f"The loss became {stopped['loss']}" if stopped.get("loss") is not None else "The weights became non-finite"
    if epochs_done:
        kept = (
            f"last.keras and best.keras in {output} hold epoch {epochs_done}, the last finite one "
            "(best.keras: the best finite epoch up to it)"
        )
    else:
        kept = f"no epoch finished with finite weights, so {output} holds no last.keras / best.keras"
    return (
        f"{what} at {where}: training stopped; {kept}. Rerunning the same command resumes from epoch "
        f"{epochs_done + 1}; try a lower --lr, more --warmup-epochs, or leave --mixed-precision off "
        "(in a new --output)."
    )
