"""`Distiller`: a Keras model that trains a student against a frozen teacher.

The teacher runs in inference mode on the *same augmented batch* as the student
(online distillation), or its logits come precomputed with the data (offline,
see `teacher_cache`). The loss per example is

    alpha * T^2 * D(softmax(t / T), softmax(s / T)) + (1 - alpha) * CE(y, s)

with D the forward KL by default (the paper's). With `teacher=None` and
`alpha=0` the same step trains the student on labels alone: the from-scratch
baseline then shares the exact recipe, metrics and code path.
"""

import keras
import tensorflow as tf
from keras import ops

from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.distillation_losses import LogitsDistillation, soft_cross_entropy, validate_distillation_args
from dvfl_tf.models.model_loading import model_num_classes

TEACHER_LOGITS_KEY = "teacher_logits"
LABELS_KEY = "labels"


def _clip_geometry_or_none(model):
    try:
        return clip_geometry(model)
    except ValueError:  # not a static clip model: nothing to compare
        return None


def _keras_spelling(temperature, alpha, divergence, distillation_losses, student_loss_weight):
    """(temperature, alpha, divergence), taking `distillation_losses` / `student_loss_weight` when given."""
    if distillation_losses is not None:
        losses = distillation_losses if isinstance(distillation_losses, (list, tuple)) else [distillation_losses]
        if len(losses) != 1 or not isinstance(losses[0], LogitsDistillation):
            raise ValueError(
                "distillation_losses must be one dvfl_tf LogitsDistillation (the logits of the teacher). "
                f"Received: distillation_losses={distillation_losses!r}"
            )
        temperature, divergence = losses[0].temperature, losses[0].divergence
    if student_loss_weight is not None:
        if not (isinstance(student_loss_weight, (int, float)) and 0.0 <= student_loss_weight <= 1.0):
            raise ValueError(
                f"`student_loss_weight` must be in [0, 1]. Received: student_loss_weight={student_loss_weight!r}"
            )
        alpha = 1.0 - student_loss_weight
    return temperature, alpha, divergence


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

    The names follow Keras 3.15's `keras.distillation.Distiller` where they mean
    the same thing: `teacher`, `student`, `distillation_losses` (here one
    `LogitsDistillation`), `student_loss_weight` (= 1 - alpha), and
    `compute_loss(x, y, y_pred, sample_weight, training)`, the one place that
    computes the loss for `train_step` and `test_step`. Unlike Keras's, this
    `train_step` is our own: the teacher runs frozen, in inference mode, on the
    student's (augmented) batch, or its logits come with the data.

    Args:
        student: classifier (logits) to train.
        teacher: frozen classifier with the same number of classes and input
            shape, or None when the teacher logits come with the data (a target
            dict `{"labels": y, "teacher_logits": t}`) or when `alpha=0`.
        temperature: softmax temperature T (official default 10).
        alpha: weight of the distillation term (official default 0.2), the
            paper's name; saved in `.keras` files.
        divergence: "forward" (KL(teacher || student), the paper's), "reverse"
            or "js" (Jensen-Shannon), for ablations.
        distillation_losses: Keras's spelling of `temperature` + `divergence`:
            a `LogitsDistillation` (or a list holding one).
        student_loss_weight: Keras's spelling of `1 - alpha`.

    Batches are `(clips, targets)` with `targets` one-hot or soft (mixup,
    label smoothing) distributions. `call` returns the student's logits.
    Metrics: loss (total), kd_loss, ce_loss, top1, top5 (of the student).
    Sample weights are not supported (ignored, as before).
    """

    def __init__(
        self,
        student,
        teacher=None,
        temperature=10.0,
        alpha=0.2,
        divergence="forward",
        distillation_losses=None,
        student_loss_weight=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        temperature, alpha, divergence = _keras_spelling(
            temperature, alpha, divergence, distillation_losses, student_loss_weight
        )
        validate_distillation_args(temperature, alpha, divergence)
        if teacher is not None:
            _check_compatible(teacher, student)
            teacher.trainable = False
        self.student = student
        self.teacher = teacher
        self.alpha = float(alpha)
        self.distillation_losses = [LogitsDistillation(temperature, divergence)]
        self.distillation_loss_weights = [1.0]
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
    def student_loss_weight(self):
        """Weight of the supervised (cross-entropy) term, `1 - alpha` (Keras's name)."""
        return 1.0 - self.alpha

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
                f"(targets {{'{LABELS_KEY}': y, '{TEACHER_LOGITS_KEY}': t}}) or use alpha=0."
            )
        return ops.stop_gradient(student_logits)  # alpha == 0: labels only, the distillation term is 0

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
        total = self.alpha * distillation + self.student_loss_weight * student
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
                "student": keras.saving.serialize_keras_object(self.student),
                "teacher": keras.saving.serialize_keras_object(self.teacher) if self.teacher is not None else None,
                "temperature": self.temperature,
                "alpha": self.alpha,
                "divergence": self.divergence,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("student", "teacher"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
