"""The Distiller's training step against arithmetic written out here.

One `train_on_batch` of the Distiller must move the student's weights exactly as a step computed by hand:
the loss `alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(y, s)` written with TensorFlow ops
under a `tf.GradientTape` on a twin of the student, and the optimizer's update rule applied with numpy
(SGD with momentum; AdamW: decoupled weight decay, then Adam with bias correction). The twin never goes
through a Keras optimizer, so a wrong sign, learning rate, momentum or decay in the step shows here.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.training.distillation_losses import LogitsDistillation
from dvfl_tf.training.distiller import Distiller
from tests.model_testing import random_clips, tiny_classifier

NUM_CLASSES = 4
TEMPERATURE, ALPHA = 3.0, 0.4
STEPS = 2  # two steps: the momentum and the Adam moments carry over from the first
# Float32 rounding: the step inside `train_on_batch` runs as a traced graph, the hand step eagerly, so the
# gradients agree to a few ulps, not bit for bit. A step moves the weights by ~1e-3 (checked below), 100x more.
ATOL, RTOL = 2e-6, 1e-5
ONE_STAGE = {"depths": [1], "focal_levels": [2], "focal_windows": [3]}


def _models():
    keras.utils.set_random_seed(3)
    student = tiny_classifier(NUM_CLASSES, **ONE_STAGE)
    teacher = tiny_classifier(NUM_CLASSES, embed_dim=12, **ONE_STAGE)
    twin = tiny_classifier(NUM_CLASSES, **ONE_STAGE)
    clips = random_clips(4, 4, 32, seed=2)
    for model in (student, teacher, twin):
        model(clips[:1])
    twin.set_weights(student.get_weights())
    # Teacher logits of a real scale (a few units): a teacher that outputs ~0 would leave the KL term flat.
    kernel, bias = teacher.get_layer("head").get_weights()
    teacher.get_layer("head").set_weights([kernel * 200.0, bias])
    return student, teacher, twin, clips


def _batch(clips):
    labels = np.eye(NUM_CLASSES, dtype="float32")[[0, 1, 2, 3]]
    soft = 0.8 * labels + 0.2 * np.roll(labels, 1, axis=0)  # soft targets, as after mixup
    return soft


def _hand_loss(student_logits, teacher_logits, targets):
    """The loss written out: forward KL of the softened distributions times T^2, plus the cross-entropy."""
    log_p_teacher = tf.nn.log_softmax(teacher_logits / TEMPERATURE, axis=-1)
    log_p_student = tf.nn.log_softmax(student_logits / TEMPERATURE, axis=-1)
    kl = tf.reduce_sum(tf.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
    ce = -tf.reduce_sum(targets * tf.nn.log_softmax(student_logits, axis=-1), axis=-1)
    return tf.reduce_mean(ALPHA * TEMPERATURE**2 * kl + (1.0 - ALPHA) * ce)


def _hand_gradients(twin, clips, teacher_logits, targets):
    with tf.GradientTape() as tape:
        loss = _hand_loss(twin(clips, training=True), teacher_logits, targets)
    return [g.numpy() for g in tape.gradient(loss, twin.trainable_variables)], float(loss)


class HandSGD:
    """v <- momentum * v - lr * g;  w <- w + v."""

    def __init__(self, lr, momentum):
        self.lr, self.momentum, self.velocity = lr, momentum, None

    def __call__(self, weights, grads):
        if self.velocity is None:
            self.velocity = [np.zeros_like(w) for w in weights]
        self.velocity = [self.momentum * v - self.lr * g for v, g in zip(self.velocity, grads)]
        return [w + v for w, v in zip(weights, self.velocity)]


class HandAdamW:
    """w <- w - lr * wd * w;  m, v moments;  w <- w - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)."""

    def __init__(self, lr, weight_decay, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.wd, self.b1, self.b2, self.eps = lr, weight_decay, beta_1, beta_2, epsilon
        self.m = self.v = None
        self.t = 0

    def __call__(self, weights, grads):
        if self.m is None:
            self.m = [np.zeros_like(w) for w in weights]
            self.v = [np.zeros_like(w) for w in weights]
        self.t += 1
        step = self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t)
        out = []
        for i, (w, g) in enumerate(zip(weights, grads)):
            w = w - self.lr * self.wd * w
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            out.append(w - step * self.m[i] / (np.sqrt(self.v[i]) + self.eps))
        return out


OPTIMIZERS = {
    "sgd_momentum": (lambda: keras.optimizers.SGD(0.05, momentum=0.9), lambda: HandSGD(0.05, 0.9)),
    "adamw": (
        lambda: keras.optimizers.AdamW(1e-3, weight_decay=0.05),
        lambda: HandAdamW(1e-3, 0.05),
    ),
}


# Larger steps for the loss test (the step is the one checked above).
FAST = {
    "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9),
    "adamw": lambda: keras.optimizers.AdamW(1e-2, weight_decay=0.05),
}


def _max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


@pytest.mark.parametrize("cached_teacher", [False, True], ids=["teacher", "cached_logits"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_train_step_equals_the_hand_written_step(optimizer, cached_teacher):
    student, teacher, twin, clips = _models()
    targets = _batch(clips)
    teacher_logits = teacher(clips, training=False).numpy()
    assert np.ptp(teacher_logits) > 1.0  # a teacher whose logits carry information
    make_keras, make_hand = OPTIMIZERS[optimizer]
    if cached_teacher:
        distiller = Distiller(
            teacher=None,
            student=student,
            distillation_losses=LogitsDistillation(TEMPERATURE),
            student_loss_weight=1.0 - ALPHA,
        )
        y = {"labels": targets, "teacher_logits": teacher_logits}
    else:
        distiller = Distiller(
            teacher=teacher,
            student=student,
            distillation_losses=LogitsDistillation(TEMPERATURE),
            student_loss_weight=1.0 - ALPHA,
        )
        y = targets
    distiller.compile(optimizer=make_keras())
    hand = make_hand()
    variables = twin.trainable_variables
    # The twin's trainable variables are the student's, in the same order.
    assert [v.path for v in variables] == [v.path for v in student.trainable_variables]
    start = [v.numpy() for v in variables]

    for step in range(STEPS):
        logs = distiller.train_on_batch(clips, y, return_dict=True)
        grads, hand_loss = _hand_gradients(twin, clips, teacher_logits, targets)
        np.testing.assert_allclose(logs["loss"], hand_loss, rtol=1e-5, err_msg=f"loss of step {step + 1}")
        for variable, value in zip(variables, hand([v.numpy() for v in variables], grads)):
            variable.assign(value)
        for ours, expected in zip(student.trainable_variables, variables):
            np.testing.assert_allclose(
                ours.numpy(), expected.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{ours.path} after step {step + 1}"
            )

    # The guard: the steps moved the weights by far more than the tolerance, so a wrong update cannot pass.
    moved = _max_diff(start, [v.numpy() for v in variables])
    assert moved > 100 * ATOL, moved
    # The teacher is frozen.
    np.testing.assert_allclose(teacher(clips, training=False).numpy(), teacher_logits, rtol=0, atol=0)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_few_steps_on_a_fixed_batch_lower_the_loss(optimizer):
    student, teacher, _, clips = _models()
    targets = _batch(clips)
    distiller = Distiller(
        teacher=teacher,
        student=student,
        distillation_losses=LogitsDistillation(TEMPERATURE),
        student_loss_weight=1.0 - ALPHA,
    )
    distiller.compile(optimizer=FAST[optimizer]())
    before = float(distiller.compute_loss(clips, targets, training=False))
    for _ in range(8):
        distiller.train_on_batch(clips, targets)
    after = float(distiller.compute_loss(clips, targets, training=False))
    assert after < 0.9 * before, (before, after)
