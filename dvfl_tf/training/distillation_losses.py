"""Distillation losses: forward KL (the paper's), reverse KL and Jensen-Shannon.

All functions take raw logits, return one value per example (shape (batch,)),
and compute in float32 whatever the compute dtype (mixed precision) so that
log-softmax of large logits stays exact.

The official DVFL-Net code subtracts softened *probabilities* instead of
log-probabilities, which is not a KL divergence; these are the real ones,
computed with log-softmax for numerical stability.

`LogitsDistillation` wraps the divergence in the interface of Keras 3.15's
`keras.distillation.DistillationLoss` (`compute_loss(teacher_outputs,
student_outputs)` -> scalar), the names `keras.distillation` uses for the
same thing.
"""

import keras
from keras import ops

from dvfl_tf.core.checks import check_choice
from dvfl_tf.training.train_config import DIVERGENCES, TrainConfig


def _log_softmax(logits, temperature):
    return ops.log_softmax(ops.cast(logits, "float32") / temperature, axis=-1)


def _kl(log_p, log_q):
    """KL(p || q) per example from log-probabilities."""
    return ops.sum(ops.exp(log_p) * (log_p - log_q), axis=-1)


def divergence(teacher_logits, student_logits, temperature=1.0, kind="forward"):
    """Divergence between softened teacher and student distributions, per example.

    - "forward": KL(p_teacher || p_student), the paper's (mean-seeking) loss;
    - "reverse": KL(p_student || p_teacher) (mode-seeking);
    - "js": Jensen-Shannon, 0.5 KL(p_t || m) + 0.5 KL(p_s || m), m = (p_t + p_s) / 2.
    Both distributions are softmax(logits / temperature).
    """
    check_choice("kind", kind, DIVERGENCES)
    log_t = _log_softmax(teacher_logits, temperature)
    log_s = _log_softmax(student_logits, temperature)
    if kind == "forward":
        return _kl(log_t, log_s)
    if kind == "reverse":
        return _kl(log_s, log_t)
    # log m = log((exp(log_t) + exp(log_s)) / 2), stable through logsumexp.
    log_m = ops.logsumexp(ops.stack([log_t, log_s], axis=0), axis=0) - ops.log(2.0)
    return 0.5 * _kl(log_t, log_m) + 0.5 * _kl(log_s, log_m)


def soft_cross_entropy(targets, logits):
    """Cross-entropy with (possibly soft: mixup, label smoothing) target distributions, per example."""
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    return -ops.sum(ops.cast(targets, "float32") * log_probs, axis=-1)


def distillation_loss(targets, student_logits, teacher_logits, temperature=10.0, alpha=0.2, kind="forward"):
    """Per-example `alpha * T^2 * D(teacher, student) + (1 - alpha) * CE(targets, student)`.

    Returns (total, kd, ce), each of shape (batch,). The T^2 factor keeps the
    gradient scale of the soft term independent of the temperature
    (Hinton et al., 2015).
    """
    kd = LogitsDistillation(temperature, kind).per_example(teacher_logits, student_logits)
    ce = soft_cross_entropy(targets, student_logits)
    total = alpha * kd + (1.0 - alpha) * ce
    return total, kd, ce


class LogitsDistillation(keras.distillation.DistillationLoss):
    """`T^2 * D(softmax(teacher / T), softmax(student / T))`, averaged over the batch.

    Keras's own `keras.distillation.LogitsDistillation` computes the KL through
    `keras.losses.KLDivergence` on clipped probabilities in the compute dtype (and
    its default `loss="kl_divergence"`, a function and not that class, skips the
    softmax: the KL of raw logits);
    this one uses log-softmax in float32 (exact for large logits and under mixed
    precision) and offers the reverse KL and Jensen-Shannon for ablations.

    Args:
        temperature: softmax temperature T (the official default is 10).
        divergence: "forward" (KL(teacher || student), the paper's), "reverse" or "js".
    """

    def __init__(self, temperature=10.0, divergence="forward"):
        TrainConfig.RANGES["temperature"].check("temperature", temperature)
        check_choice("divergence", divergence, DIVERGENCES)
        self.temperature = float(temperature)
        self.divergence = divergence

    def per_example(self, teacher_outputs, student_outputs):
        """The loss of each example, shape (batch,)."""
        return divergence(teacher_outputs, student_outputs, self.temperature, self.divergence) * (self.temperature**2)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return ops.mean(self.per_example(teacher_outputs, student_outputs))

    def get_config(self):
        return {"temperature": self.temperature, "divergence": self.divergence}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
