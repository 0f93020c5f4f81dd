"""`TrainConfig`: everything that defines a run, with the allowed values of each setting (TensorFlow-free).

The choices (`OPTIMIZERS`, `DIVERGENCES`, `STRATEGIES`) and ranges (`TrainConfig.RANGES`) are declared here
once: the optimizer, the distillation loss and the strategy check their argument against them, a
`TrainConfig` checks every field when made, and the train/distill options take their types and defaults
from them (`dvfl_tf.cli.train_commands`).
"""

import dataclasses
from typing import ClassVar

from dvfl_tf.convert.official_run_keys import REFERENCE_BATCH_SIZE
from dvfl_tf.core.checks import at_least, check_choice, fraction, non_negative, positive

OPTIMIZERS = ("sgd", "adamw")
DIVERGENCES = ("forward", "reverse", "js")
STRATEGIES = ("auto", "mirrored", "multi_worker", "tpu", "one_device")


def scaled_learning_rate(base_lr, global_batch_size):
    """`base_lr * global_batch_size / 512` (linear scaling rule of the official scripts)."""
    return base_lr * global_batch_size / REFERENCE_BATCH_SIZE


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
    # None: warmup from 0 and cosine from the end of the warmup; a float: the official schedule from
    # this rate (recipe.WarmupCosine).
    warmup_lr: float = None
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

    RANGES: ClassVar[dict] = {
        "epochs": at_least(1),
        "batch_size": at_least(1),
        "steps_per_epoch": at_least(0),
        "lr": non_negative(),
        "base_lr": positive(),
        "min_lr": non_negative(),
        "warmup_lr": non_negative(),
        "warmup_epochs": non_negative(),
        "weight_decay": non_negative(),
        "clipnorm": non_negative(),
        "temperature": positive(),
        "alpha": fraction(),
        "seed": at_least(0),
    }
    CHOICES: ClassVar[dict] = {"optimizer": OPTIMIZERS, "divergence": DIVERGENCES, "strategy": STRATEGIES}

    def __post_init__(self):
        for name, allowed in self.RANGES.items():
            allowed.check(name, getattr(self, name))
        for name, choices in self.CHOICES.items():
            check_choice(name, getattr(self, name), choices)

    def peak_lr(self):
        return self.lr if self.lr > 0 else scaled_learning_rate(self.base_lr, self.batch_size)

    def to_dict(self):
        return dataclasses.asdict(self)
