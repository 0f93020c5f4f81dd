import os
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.training.distillation_losses import LogitsDistillation, distillation_loss
from dvfl_tf.training.distiller import Distiller
from tests.model_testing import random_clips, tiny_classifier

NUM_CLASSES = 5
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"


def _batch(batch=4, seed=0):
    clips = random_clips(batch, 4, 32, seed=seed)
    labels = np.eye(NUM_CLASSES, dtype="float32")[np.arange(batch) % NUM_CLASSES]
    return clips, labels


def _keras_args(temperature=10.0, alpha=0.2, divergence="forward"):
    """The paper's (temperature, alpha, divergence) in Keras's argument names."""
    return {
        "distillation_losses": LogitsDistillation(temperature, divergence),
        "student_loss_weight": 1.0 - alpha,
    }


def _distiller(**paper_args):
    keras.utils.set_random_seed(1)
    teacher = tiny_classifier(NUM_CLASSES, embed_dim=16)
    student = tiny_classifier(NUM_CLASSES)
    distiller = Distiller(teacher, student, **_keras_args(**paper_args))
    distiller.compile(optimizer=keras.optimizers.SGD(0.05))
    return distiller


def test_train_step_loss_equals_formula_and_only_student_changes():
    distiller = _distiller(temperature=4.0, alpha=0.3)
    clips, labels = _batch()
    # Soft targets (as after mixup).
    soft = 0.7 * labels + 0.3 * np.roll(labels, 1, axis=0)
    expected_total, _, _ = distillation_loss(
        soft, distiller.student(clips), distiller.teacher(clips), temperature=4.0, alpha=0.3
    )
    teacher_before = [w.copy() for w in distiller.teacher.get_weights()]
    student_before = [w.copy() for w in distiller.student.get_weights()]
    logs = distiller.test_step((clips, soft))
    np.testing.assert_allclose(float(logs["loss"]), float(np.mean(expected_total)), rtol=1e-5)

    history = distiller.fit(clips, soft, batch_size=4, epochs=2, verbose=0)
    assert set(history.history) >= {"loss", "kd_loss", "ce_loss", "top1", "top5"}
    for before, after in zip(teacher_before, distiller.teacher.get_weights()):
        np.testing.assert_array_equal(before, after)
    changed = [not np.array_equal(b, a) for b, a in zip(student_before, distiller.student.get_weights())]
    assert any(changed)


def test_gradients_reach_only_student():
    distiller = _distiller()
    clips, labels = _batch()
    assert distiller.teacher.trainable is False
    trainable_ids = {id(v) for v in distiller.trainable_variables}
    assert trainable_ids == {id(v) for v in distiller.student.trainable_variables}
    with tf.GradientTape() as tape:
        total = distiller.compute_loss(clips, labels, training=True)
    grads = tape.gradient(total, distiller.student.trainable_variables + distiller.teacher.variables)
    student_grads = grads[: len(distiller.student.trainable_variables)]
    teacher_grads = grads[len(distiller.student.trainable_variables) :]
    assert all(g is not None for g in student_grads)
    assert all(g is None for g in teacher_grads)


def test_class_count_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="50 classes, student with 51"):
        Distiller(tiny_classifier(50), tiny_classifier(51))


def test_offline_teacher_logits_are_used_instead_of_a_teacher():
    clips, labels = _batch()
    keras.utils.set_random_seed(1)
    student = tiny_classifier(NUM_CLASSES)
    distiller = Distiller(None, student, **_keras_args(temperature=2.0, alpha=0.5))
    distiller.compile(optimizer="sgd")
    teacher_logits = np.random.default_rng(0).normal(size=(4, NUM_CLASSES)).astype("float32")
    logs = distiller.test_step((clips, {"labels": labels, "teacher_logits": teacher_logits}))
    expected, _, _ = distillation_loss(labels, student(clips), teacher_logits, temperature=2.0, alpha=0.5)
    np.testing.assert_allclose(float(logs["loss"]), float(np.mean(expected)), rtol=1e-5)
    with pytest.raises(ValueError, match="no teacher"):
        distiller.test_step((clips, labels))


def test_config_round_trip_and_keras_save(tmp_path):
    distiller = _distiller(temperature=3.0, alpha=0.4, divergence="js")
    clips, _ = _batch()
    reference = np.asarray(distiller(clips))
    config = distiller.get_config()
    clone = Distiller.from_config(config)
    assert (clone.temperature, clone.alpha, clone.divergence) == (3.0, 0.4, "js")
    assert clone.student_loss_weight == distiller.student_loss_weight == 0.6
    path = os.path.join(tmp_path, "distiller.keras")
    distiller.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, Distiller)
    np.testing.assert_allclose(np.asarray(restored(clips)), reference, atol=1e-5)
    assert restored.teacher.trainable is False


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: LogitsDistillation(temperature=0.0), "Received: temperature=0.0"),
        (lambda: LogitsDistillation(divergence="kl"), "Received: divergence='kl'"),
        (lambda: Distiller(None, tiny_classifier(NUM_CLASSES), student_loss_weight=1.5), "student_loss_weight=1.5"),
        (lambda: Distiller(None, tiny_classifier(NUM_CLASSES), distillation_loss_weights=[1, 2]), "one non-negative"),
    ],
)
def test_argument_validation(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_keras_signature_and_defaults():
    """Keras 3.15's argument order and names; the defaults are the paper's (T = 10, alpha = 0.2, forward KL)."""
    import inspect

    ours = list(inspect.signature(Distiller.__init__).parameters)[1:6]
    assert ours == list(inspect.signature(keras.distillation.Distiller.__init__).parameters)[1:6]
    teacher, student = tiny_classifier(NUM_CLASSES, embed_dim=16), tiny_classifier(NUM_CLASSES)
    distiller = Distiller(teacher, student)
    assert distiller.teacher is teacher and distiller.student is student
    assert (distiller.temperature, distiller.alpha, distiller.divergence) == (10.0, pytest.approx(0.2), "forward")
    assert distiller.distillation_loss_weights == [1.0]


def test_distillation_loss_weight_scales_the_distillation_term():
    keras.utils.set_random_seed(1)
    student, teacher = tiny_classifier(NUM_CLASSES), tiny_classifier(NUM_CLASSES, embed_dim=16)
    clips, labels = _batch()
    _, kd, ce = distillation_loss(labels, student(clips), teacher(clips), temperature=4.0, alpha=0.3)
    distiller = Distiller(
        teacher, student, LogitsDistillation(4.0), distillation_loss_weights=[2.5], student_loss_weight=0.7
    )
    np.testing.assert_allclose(
        float(distiller.compute_loss(clips, labels, training=False)),
        0.3 * 2.5 * float(np.mean(kd)) + 0.7 * float(np.mean(ce)),
        rtol=1e-5,
    )


def test_distiller_file_of_the_previous_code_loads():
    """A Distiller saved by the code of commit 58849ee (arguments temperature / alpha / divergence) loads."""
    distiller = keras.saving.load_model(FIXTURES / "legacy_distiller_58849ee.keras")
    assert isinstance(distiller, Distiller)
    assert (distiller.temperature, distiller.alpha, distiller.divergence) == (4.0, 0.5, "forward")
    assert distiller.student_loss_weight == 0.5 and distiller.teacher.trainable is False
    clips = random_clips(2, 4, 32, seed=0)
    expected = np.load(FIXTURES / "legacy_distiller_58849ee_logits.npy")
    assert float(np.max(np.abs(expected))) > 0.2  # a real output, not zeros
    np.testing.assert_allclose(np.asarray(distiller(clips)), expected, atol=1e-5)


def test_keras_keywords_are_the_same_distiller():
    keras.utils.set_random_seed(1)
    student, teacher = tiny_classifier(NUM_CLASSES), tiny_classifier(NUM_CLASSES, embed_dim=16)
    distiller = Distiller(
        student=student,
        teacher=teacher,
        student_loss_weight=0.75,
        distillation_losses=LogitsDistillation(temperature=3.0, divergence="js"),
    )
    assert (distiller.temperature, distiller.alpha, distiller.divergence) == (3.0, 0.25, "js")
    config = distiller.get_config()
    assert config["distillation_losses"] == [{"temperature": 3.0, "divergence": "js"}]
    assert config["student_loss_weight"] == 0.75
    clips, labels = _batch()
    expected, _, _ = distillation_loss(labels, student(clips), teacher(clips), temperature=3.0, alpha=0.25, kind="js")
    np.testing.assert_allclose(
        float(distiller.compute_loss(clips, labels, training=False)), float(np.mean(expected)), rtol=1e-5
    )
    with pytest.raises(ValueError, match="Received: student_loss_weight=2"):
        Distiller(None, student, student_loss_weight=2)
    with pytest.raises(ValueError, match="distillation_losses must be one dvfl_tf LogitsDistillation"):
        Distiller(None, student, distillation_losses=keras.distillation.LogitsDistillation(temperature=3.0))


def test_distiller_has_the_student_clip_geometry():
    from dvfl_tf.models.clip_geometry import ClipGeometry, clip_geometry

    distiller = Distiller(None, tiny_classifier(3, num_frames=4, image_size=32), student_loss_weight=1.0)
    assert clip_geometry(distiller) == ClipGeometry(num_frames=4, height=32, width=32)
