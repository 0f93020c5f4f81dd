"""`Distiller`: a Keras model that trains a student against a frozen teacher.

The teacher runs in inference mode on the *same augmented batch* as the student
(online distillation), or its logits come precomputed with the data (offline,
see `teacher_cache`). The loss per example is

    alpha * T^2 * D(softmax(t / T), softmax(s / T)) + (1 - alpha) * CE(y, s)

with D the forward KL by default (the paper's) and `alpha = 1 - student_loss_weight`.
With `teacher=None` and `student_loss_weight=1` the same step trains the student on
labels alone: the from-scratch baseline then shares the exact recipe, metrics and
code path.
"""

import keras
import tensorflow as tf
from keras import ops

from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.model_loading import model_num_classes
from dvfl_tf.training.distillation_losses import LogitsDistillation, soft_cross_entropy

TEACHER_LOGITS_KEY = "teacher_logits"
LABELS_KEY = "labels"


def _clip_geometry_or_none(model):
    try:
        return clip_geometry(model)
    except ValueError:  # not a static clip model: nothing to compare
        return None


def _one_logits_distillation(distillation_losses):
    """The single `LogitsDistillation` of `distillation_losses` (one, or a list holding one)."""
    losses = distillation_losses if isinstance(distillation_losses, (list, tuple)) else [distillation_losses]
    if len(losses) != 1 or not isinstance(losses[0], LogitsDistillation):
        raise ValueError(
            "distillation_losses must be one dvfl_tf LogitsDistillation (the logits of the teacher). "
            f"Received: distillation_losses={distillation_losses!r}"
        )
    return losses[0]


def _one_weight(distillation_loss_weights):
    weights = [1.0] if distillation_loss_weights is None else distillation_loss_weights
    if not (
        isinstance(weights, (list, tuple))
        and len(weights) == 1
        and isinstance(weights[0], (int, float))
        and not isinstance(weights[0], bool)
        and weights[0] >= 0
    ):
        raise ValueError(
            "distillation_loss_weights must hold one non-negative number (one distillation loss). "
            f"Received: distillation_loss_weights={distillation_loss_weights!r}"
        )
    return [float(weights[0])]


def validate_student_loss_weight(student_loss_weight):
    """`student_loss_weight` (Keras's name for `1 - alpha`) must be a number in [0, 1]."""
    if not (
        isinstance(student_loss_weight, (int, float))
        and not isinstance(student_loss_weight, bool)
        and 0.0 <= student_loss_weight <= 1.0
    ):
        raise ValueError(
            f"`student_loss_weight` must be in [0, 1]. Received: student_loss_weight={student_loss_weight!r}"
        )
    return float(student_loss_weight)


def _check_compatible(teacher, student):
    student_classes, teacher_classes = model_num_classes(student), model_num_classes(teacher)
    if student_classes != teacher_classes:
        raise ValueError(
            "The teacher and the student must predict the same classes. "
            f"Received: teacher with {teacher_classes} classes, student with {student_classes} classes"
        )
    student_clips, teacher_clips = _clip_geometry_or_none(student), _clip_geometry_or_none(teacher)
    if student_clips and teacher_clips and student_clips != teacher_clips:
        raise ValueError(
            "The teacher sees the student's batch, so both need the same input shape. "
            f"Received: teacher input {teacher_clips.clip_shape}, student input {student_clips.clip_shape}"
        )


def _split_targets(y):
    """(labels, precomputed teacher logits or None) from the target part of a batch."""
    if isinstance(y, dict):
        if LABELS_KEY not in y:
            raise ValueError(f"Target dicts must hold {LABELS_KEY!r}. Received keys: {sorted(y)}")
        return y[LABELS_KEY], y.get(TEACHER_LOGITS_KEY)
    return y, None


def _scale_for_replicas(loss):
    # Each replica sees a slice of the global batch; gradients are summed over
    # replicas, so the per-replica mean is divided by the replica count.
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss / float(replicas) if replicas > 1 else loss


def _multi_worker(strategy):
    """The test Keras uses for cross-worker reductions (MultiWorkerMirroredStrategy with more than one worker)."""
    in_multi_worker_mode = getattr(strategy.extended, "_in_multi_worker_mode", None)
    return bool(in_multi_worker_mode and in_multi_worker_mode())


@keras.saving.register_keras_serializable(package="dvfl_tf")
class Distiller(keras.Model):
    """Knowledge distillation of `teacher` into `student`.

    The arguments are Keras 3.15's `keras.distillation.Distiller`'s, in its order
    and with its meaning: `total = student_loss_weight * CE(labels, student) +
    (1 - student_loss_weight) * w * distillation`, with `distillation_losses` one
    `LogitsDistillation` (temperature T and divergence D) and
    `distillation_loss_weights` its weight `[w]`. The paper's `alpha` is
    `1 - student_loss_weight` (official default 0.2, so 0.8 here).

    It is not a subclass of Keras's class, whose constructor requires a teacher
    model and whose loss needs the student's compiled loss on hard labels; here
    the teacher may be absent (its logits come with the data, or the student
    trains on labels alone: the from-scratch baseline shares this code path), the
    targets may be soft (mixup, label smoothing), and `train_step` is our own: the
    frozen teacher runs in inference mode on the student's (augmented) batch.
    `compute_loss(x, y, y_pred, sample_weight, training)` is the one place that
    computes the loss, for `train_step` and `test_step`.

    Args:
        teacher: frozen classifier with the same number of classes and input
            shape, or None when the teacher logits come with the data (a target
            dict `{"labels": y, "teacher_logits": t}`) or when
            `student_loss_weight=1`.
        student: classifier (logits) to train.
        distillation_losses: a `LogitsDistillation` (or a list holding one);
            default `LogitsDistillation(temperature=10.0)`, the forward KL at
            the official temperature.
        distillation_loss_weights: `[w]`, the weight of that loss (default `[1.0]`).
        student_loss_weight: weight of the supervised term, in [0, 1] (default
            0.8: the official alpha = 0.2).
        name: the model's name.

    Batches are `(clips, targets)` with `targets` one-hot or soft distributions.
    `call` returns the student's logits. Metrics: loss (total), kd_loss, ce_loss,
    top1, top5 (of the student). Sample weights are not supported (ignored).
    """

    def __init__(
        self,
        teacher,
        student,
        distillation_losses=None,
        distillation_loss_weights=None,
        student_loss_weight=0.8,
        name="distiller",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        distillation = _one_logits_distillation(
            LogitsDistillation() if distillation_losses is None else distillation_losses
        )
        self.student_loss_weight = validate_student_loss_weight(student_loss_weight)
        self.distillation_loss_weights = _one_weight(distillation_loss_weights)
        if teacher is not None:
            _check_compatible(teacher, student)
            teacher.trainable = False
        # The student first: Keras stores the weights of tracked sub-models in the order they were set,
        # and files written before the Keras argument order hold the student's first.
        self.student = student
        self.teacher = teacher
        self.distillation_losses = [distillation]
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.kd_loss_tracker = keras.metrics.Mean(name="kd_loss")
        self.ce_loss_tracker = keras.metrics.Mean(name="ce_loss")
        self.top1 = keras.metrics.CategoricalAccuracy(name="top1")
        self.top5 = keras.metrics.TopKCategoricalAccuracy(k=5, name="top5")

    @property
    def temperature(self):
        return self.distillation_losses[0].temperature

    @property
    def divergence(self):
        return self.distillation_losses[0].divergence

    @property
    def alpha(self):
        """The paper's weight of the distillation term, `1 - student_loss_weight`."""
        return 1.0 - self.student_loss_weight

    @property
    def num_classes(self):
        return model_num_classes(self.student)

    @property
    def metrics(self):
        # Listed here so that Keras resets them at each epoch.
        return [self.loss_tracker, self.kd_loss_tracker, self.ce_loss_tracker, self.top1, self.top5]

    def call(self, inputs, training=False):
        return self.student(inputs, training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3.15's `fit` first reduces one whole (x, y) batch with a single
        # `strategy.reduce` to get its shapes; MultiWorkerMirroredStrategy cannot
        # reduce a nest and raises. The batch only serves to build the model, so a
        # model and optimizer built before `fit` (as `train_run` does) skip it.
        if (
            _multi_worker(self.distribute_strategy)
            and self.built
            and self.optimizer is not None
            and self.optimizer.built
        ):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def _teacher_logits(self, x, cached, student_logits):
        """The teacher's logits (no gradient): cached with the data, else the frozen teacher's in inference mode."""
        if cached is not None:
            return ops.stop_gradient(ops.cast(cached, "float32"))
        if self.teacher is not None:
            return ops.stop_gradient(self.teacher(x, training=False))
        if self.alpha > 0:
            raise ValueError(
                "This Distiller has no teacher: pass teacher logits with the data "
                f"(targets {{'{LABELS_KEY}': y, '{TEACHER_LOGITS_KEY}': t}}) or use student_loss_weight=1."
            )
        return ops.stop_gradient(student_logits)  # student_loss_weight == 1: labels only, the distillation term is 0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """`alpha * T^2 * D(teacher, student) + (1 - alpha) * CE(labels, student)`, the batch mean.

        The one place where the loss is computed (`train_step`, `test_step`);
        it also updates the loss, kd_loss and ce_loss metrics. `y`: the
        targets, or `{"labels": y, "teacher_logits": t}`; `y_pred`: the
        student's logits (computed from `x` when None). Regularization losses
        of the student are added by `train_step`, not here.
        """
        labels, cached = _split_targets(y)
        if y_pred is None:
            y_pred = self.student(x, training=training)
        teacher_logits = self._teacher_logits(x, cached, y_pred)
        distillation = ops.mean(self.distillation_losses[0].per_example(teacher_logits, y_pred))
        student = ops.mean(soft_cross_entropy(labels, y_pred))
        weighted = self.distillation_loss_weights[0] * distillation
        total = self.alpha * weighted + self.student_loss_weight * student
        self.loss_tracker.update_state(total)
        self.kd_loss_tracker.update_state(distillation)
        self.ce_loss_tracker.update_state(student)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Top-1/top-5 of the student, then every metric's result (the loss ones come from `compute_loss`)."""
        labels, _ = _split_targets(y)
        logits = ops.cast(y_pred, "float32")
        self.top1.update_state(labels, logits)
        self.top5.update_state(labels, logits)
        results = {metric.name: metric.result() for metric in self.metrics}
        if _multi_worker(tf.distribute.get_strategy()):
            # Keras 3.15 reduces step outputs across workers with `reduce(MEAN, axis=0)`,
            # which needs an axis: each scalar becomes a 1-vector, reduced back to a scalar.
            results = {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        variables = self.student.trainable_variables
        with tf.GradientTape() as tape:
            y_pred = self.student(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            # Losses from layers (e.g. regularizers) of the student.
            if self.student.losses:
                loss = loss + ops.sum(self.student.losses)
            scaled = self.optimizer.scale_loss(_scale_for_replicas(loss))
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply(grads, variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self.student(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.student(x, training=False)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "teacher": keras.saving.serialize_keras_object(self.teacher) if self.teacher is not None else None,
                "student": keras.saving.serialize_keras_object(self.student),
                "distillation_losses": [self.distillation_losses[0].get_config()],
                "distillation_loss_weights": list(self.distillation_loss_weights),
                "student_loss_weight": self.student_loss_weight,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("student", "teacher"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        if "temperature" in config:
            # Files written before the Keras argument names: temperature, alpha and divergence.
            distillation = {"temperature": config.pop("temperature"), "divergence": config.pop("divergence", "forward")}
            config["distillation_losses"] = [distillation]
            config["student_loss_weight"] = 1.0 - config.pop("alpha")
        config["distillation_losses"] = [LogitsDistillation(**losses) for losses in config["distillation_losses"]]
        return cls(**config)
