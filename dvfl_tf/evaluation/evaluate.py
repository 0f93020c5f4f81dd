"""Evaluation: multi-view top-1/top-5, per-class accuracy, confusion matrix (PNG), JSON report."""

import os

import numpy as np
from matplotlib.figure import Figure  # the object API: no pyplot, no global backend to switch
from tqdm import tqdm

from dvfl_tf.core.errors import ModelFileError, UserError
from dvfl_tf.core.io_safety import atomic_write_json
from dvfl_tf.data.data_options import evaluation_dataset, evaluation_steps, load_dataset_index
from dvfl_tf.evaluation.classifier_loading import is_checkpoint, load_classifier
from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.runtime import TFLiteVideoClassifier
from dvfl_tf.runtime.preprocessing import softmax


class UnsupportedModelError(UserError, ValueError):
    pass


def keras_predictor(model):
    """A function clips (B, T, H, W, 3) -> logits (B, C) numpy, for a Keras model."""
    return lambda clips: np.asarray(model.predict_on_batch(clips))


def tflite_predictor(path):
    """(function clips (B, T, H, W, 3) -> logits (B, C), (num_frames, image_size)) for a `.tflite` file.

    Runs through the TensorFlow-free edge runtime, so evaluation measures the
    exact file a device runs (one clip per invoke: the file has batch 1).
    """
    try:
        classifier = TFLiteVideoClassifier(path)
    except ModelFileError:
        raise
    except ValueError as error:
        raise UnsupportedModelError(f"{path} is not a dvfl-tf video classifier: {error}") from error

    def predictor(clips):
        return np.stack([classifier.predict_logits(clip) for clip in np.asarray(clips)])

    return predictor, (classifier.num_frames, classifier.image_size)


def load_predictor(path, checkpoint=None):
    """(predictor, (num_frames, image_size) or None) for a `.keras` or `.tflite` file, or an official
    checkpoint (`.pth`) converted in memory with `checkpoint` (`load_classifier`'s architecture arguments)."""
    if str(path).endswith(".tflite"):
        return tflite_predictor(path)
    if str(path).endswith(".keras") or is_checkpoint(path):
        model = load_classifier(path, **(checkpoint or {}))
        geometry = clip_geometry(model)
        return keras_predictor(model), (geometry.num_frames, geometry.height)
    raise UnsupportedModelError(f"MODEL must be a .keras or .tflite file, or an official .pth. Received: {path}")


def predict_dataset(predictor, dataset, steps=None, desc="evaluate"):
    """(labels (N,), probabilities (N, C)): softmax averaged over the views of each video."""
    labels, probabilities = [], []
    for clips, targets in tqdm(dataset, total=steps, desc=desc, unit="batch", leave=False, disable=None):
        clips = np.asarray(clips)
        if clips.ndim == 6:  # (B, views, T, H, W, 3): forward passes of B clips at most, as without views
            batch, views = clips.shape[:2]
            flat = clips.reshape((batch * views,) + clips.shape[2:])
            logits = np.concatenate([predictor(flat[start : start + batch]) for start in range(0, len(flat), batch)])
            probs = softmax(logits, np.float64).reshape(batch, views, -1).mean(axis=1)
        else:
            probs = softmax(predictor(clips), np.float64)
        if not np.isfinite(probs).all():
            raise UnsupportedModelError(
                "the model's outputs are not finite (NaN or inf); its weights are broken (a diverged run?). "
                "Use a checkpoint of a finite epoch."
            )
        probabilities.append(probs)
        labels.append(np.argmax(np.asarray(targets), axis=-1))
    return np.concatenate(labels), np.concatenate(probabilities)


def accuracy_report(labels, probabilities, class_names):
    """Top-1, top-5, per-class accuracy and confusion matrix (rows: true class)."""
    num_classes = probabilities.shape[1]
    predictions = np.argmax(probabilities, axis=1)
    k = min(5, num_classes)
    top_k = np.argsort(-probabilities, axis=1)[:, :k]
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    per_class = {}
    for index, name in enumerate(class_names):
        count = int(confusion[index].sum())
        per_class[name] = {"accuracy": float(confusion[index, index] / count) if count else None, "videos": count}
    return {
        "videos": int(labels.shape[0]),
        "top1": float(np.mean(predictions == labels)),
        "top5": float(np.mean(np.any(top_k == labels[:, None], axis=1))),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
        "class_names": list(class_names),
        "predictions": predictions.tolist(),
    }


def plot_confusion(report, path):
    matrix = np.asarray(report["confusion_matrix"], dtype=np.float64)
    rows = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    n = matrix.shape[0]
    size = max(4.0, min(20.0, 0.3 * n + 2))
    fig = Figure(figsize=(size, size))
    ax = fig.subplots()
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    if n <= 30:
        ax.set_xticks(range(n), report["class_names"], rotation=90, fontsize=7)
        ax.set_yticks(range(n), report["class_names"], fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"top-1 {report['top1']:.3f} ({report['videos']} videos)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def _check_clip_options(model_path, data_options, num_frames, image_size):
    for option, given, fixed in (
        ("--num-frames", data_options.num_frames, num_frames),
        ("--image-size", data_options.image_size, image_size),
    ):
        if given is not None and int(given) != fixed:
            raise UserError(
                f"{option} {given}: {model_path} takes clips of {num_frames} frames of {image_size}x{image_size}; "
                f"leave {option} out (the model's value applies), or evaluate a model made for {given}."
            )


def evaluate(
    model_path,
    data_options,
    views=(1, 1),
    batch_size=8,
    output_dir=None,
    predictor=None,
    checkpoint=None,
    view_protocol="dvfl-tf",
):
    """Evaluates `model_path` (.keras, .tflite, or an official .pth) on `data_options.eval_split`.

    Frames and size follow the model; `data_options.num_frames`/`image_size`, when
    set, must be the model's (`UserError` otherwise: a model's clip is fixed). An official checkpoint is converted in memory with
    `checkpoint` ({"preset" or "official_config", optional "num_classes",
    "trust_checkpoint"}); `data_options.num_frames`/`image_size`, when set,
    build it for those frames and that size (the official DATA.NUM_FRAMES,
    DATA.INPUT_SIZE). `view_protocol` "official" takes the official code's
    test views (TEST.NUM_CLIP x TEST.NUM_CROP = `views`; see
    `ClipDatasetConfig`) instead of this package's. Writes `<output_dir>/evaluation.json` and
    `confusion_matrix.png` when `output_dir` is given. Returns the report.
    """

    if predictor is None:
        if is_checkpoint(model_path):
            sizes = {"num_frames": data_options.num_frames, "image_size": data_options.image_size}
            checkpoint = {**(checkpoint or {}), **{k: v for k, v in sizes.items() if v is not None}}
        predictor, input_spec = load_predictor(model_path, checkpoint)
        if input_spec is not None:
            _check_clip_options(model_path, data_options, int(input_spec[0]), int(input_spec[1]))
            data_options.num_frames, data_options.image_size = int(input_spec[0]), int(input_spec[1])
    index = load_dataset_index(data_options)
    dataset = evaluation_dataset(data_options, index, batch_size, views=views, view_protocol=view_protocol)
    labels, probabilities = predict_dataset(
        predictor,
        dataset,
        evaluation_steps(index, data_options.eval_split, batch_size),
        desc=os.path.basename(str(model_path)),
    )
    if probabilities.shape[1] != index.num_classes:
        raise ValueError(
            f"{model_path} predicts {probabilities.shape[1]} classes but {data_options.dataset} has {index.num_classes}."
        )
    report = accuracy_report(labels, probabilities, index.class_names)
    report.update(
        model=str(model_path),
        dataset=data_options.dataset,
        split=data_options.eval_split,
        views=list(views),
        view_protocol=view_protocol,
        num_frames=data_options.num_frames,
        image_size=data_options.image_size,
    )
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        atomic_write_json(os.path.join(output_dir, "evaluation.json"), report)
        plot_confusion(report, os.path.join(output_dir, "confusion_matrix.png"))
    return report
