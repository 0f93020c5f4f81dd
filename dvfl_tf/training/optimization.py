"""The optimizer and learning-rate schedule of the official scripts: SGD + Nesterov, decoupled weight decay
kept off norms and biases, batch-scaled LR, linear warmup then cosine, global-norm clipping."""

import math

import keras
from keras import ops

from dvfl_tf.core.checks import check_choice

# scaled_learning_rate: the official recipe scales the base LR linearly with the global batch size / 512.
from dvfl_tf.training.train_config import (  # noqa: F401 (scaled_learning_rate is imported from here too)
    OPTIMIZERS,
    scaled_learning_rate,
)


@keras.saving.register_keras_serializable(package="dvfl_tf")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup to `peak_lr` over `warmup_steps`, then cosine decay to `min_lr` at `total_steps`.

    `warmup_lr=None`: the warmup rises from 0 (`peak_lr * (step + 1) / warmup_steps`) and the cosine
    starts at the end of the warmup. A float `warmup_lr`: the official schedule, timm's
    `CosineLRScheduler(t_initial=total_steps, lr_min=min_lr, warmup_lr_init=warmup_lr,
    warmup_t=warmup_steps, cycle_limit=1, t_in_epochs=False)` as the official training loop steps it:
    the warmup rises from `warmup_lr`, the cosine counts from step 0 (so it is already past its start
    when the warmup ends), and `step_update` after each step sets the rate of the next one, so step k
    uses the schedule's value at k - 1 (step 0: `warmup_lr`).
    """

    def __init__(self, peak_lr, total_steps, warmup_steps=0, min_lr=0.0, warmup_lr=None):
        if peak_lr <= 0:
            raise ValueError(f"`peak_lr` must be positive. Received: peak_lr={peak_lr}")
        if total_steps < 1:
            raise ValueError(f"`total_steps` must be >= 1. Received: total_steps={total_steps}")
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"`warmup_steps` must be in [0, total_steps={total_steps}]. Received: warmup_steps={warmup_steps}"
            )
        if not 0 <= min_lr <= peak_lr:
            raise ValueError(f"`min_lr` must be in [0, peak_lr]. Received: min_lr={min_lr}")
        if warmup_lr is not None and not 0 <= warmup_lr <= peak_lr:
            raise ValueError(f"`warmup_lr` must be None or in [0, peak_lr]. Received: warmup_lr={warmup_lr}")
        self.peak_lr = float(peak_lr)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.min_lr = float(min_lr)
        self.warmup_lr = None if warmup_lr is None else float(warmup_lr)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        if self.warmup_lr is not None:
            return self._official(step)
        warmup = self.peak_lr * (step + 1.0) / max(self.warmup_steps, 1)
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        progress = ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
        cosine = self.min_lr + 0.5 * (self.peak_lr - self.min_lr) * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warmup, cosine)

    def _official(self, step):
        t = ops.maximum(step - 1.0, 0.0)  # the rate set by step_update(t) after the previous step
        slope = (self.peak_lr - self.warmup_lr) / max(self.warmup_steps, 1)
        warmup = self.warmup_lr + t * slope
        # 0.5 * (1 + cos(pi x)) written as cos(pi x / 2)^2: no cancellation near the end in float32.
        half_cosine = ops.cos(math.pi * t / (2.0 * self.total_steps))
        cosine = self.min_lr + (self.peak_lr - self.min_lr) * half_cosine * half_cosine
        decayed = ops.where(t < self.total_steps, cosine, self.min_lr)
        return ops.where(t < self.warmup_steps, warmup, decayed)

    def get_config(self):
        return {
            "peak_lr": self.peak_lr,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "min_lr": self.min_lr,
            "warmup_lr": self.warmup_lr,
        }


def no_decay_variables(model):
    """Variables kept out of weight decay: norms, biases, layer-scale (every variable of rank <= 1)."""
    return [variable for variable in model.trainable_variables if len(variable.shape) <= 1]


def build_optimizer(
    model,
    learning_rate,
    optimizer="sgd",
    momentum=0.9,
    nesterov=True,
    weight_decay=1e-4,
    clipnorm=5.0,
):
    """The optimizer for `model` (its norms and biases excluded from weight decay).

    `learning_rate` is a float or a schedule. Keras applies weight decay
    decoupled from the gradient (`w -= lr * wd * w`), for SGD as for AdamW.
    `clipnorm` clips the global gradient norm (None or 0: no clipping).
    """
    check_choice("optimizer", optimizer, OPTIMIZERS)
    common = {"learning_rate": learning_rate, "global_clipnorm": clipnorm or None, "weight_decay": weight_decay or None}
    if optimizer == "sgd":
        opt = keras.optimizers.SGD(momentum=momentum, nesterov=nesterov, **common)
    else:
        opt = keras.optimizers.AdamW(**common)
    if weight_decay:
        opt.exclude_from_weight_decay(var_list=no_decay_variables(model))
    return opt
