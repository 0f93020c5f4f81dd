"""Checks an exported `.tflite` against the Keras model it came from.

Agreement is measured on the same clips fed to both: max and mean absolute
logit difference, and top-1 agreement; with labels, the accuracy of each.
Latency is the median of several single-clip invokes on this machine's CPU
with the runtime's default delegate (XNNPACK), after one warm-up.
"""

import time

import keras
import numpy as np

from dvfl_tf.runtime.interpreter import make_interpreter, run_clip


def keras_logits(single_clip_model, clips):
    """Logits (N, num_classes) of the Keras single-clip model on each clip."""
    return np.concatenate(
        [keras.ops.convert_to_numpy(single_clip_model(np.asarray(c, np.float32), training=False)) for c in clips]
    ).astype(np.float32)


def tflite_logits(model_bytes, clips, interpreter=None):
    interpreter = interpreter or make_interpreter(model_content=model_bytes)
    return np.stack([run_clip(interpreter, np.asarray(c, np.float32)).reshape(-1) for c in clips])


def measure_latency_ms(model_bytes, clip, repeats=5, num_threads=None):
    """Median wall time (ms) of one `invoke` with a clip already set."""
    interpreter = make_interpreter(model_content=model_bytes, num_threads=num_threads)
    run_clip(interpreter, clip)  # warm-up: XNNPACK packs weights on the first run
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1000.0)
    return {"median_ms": float(np.median(times)), "repeats": repeats, "num_threads": num_threads}


def agreement(reference_logits, exported_logits, labels=None):
    """Agreement figures between two (N, C) logit arrays (and accuracies when `labels` are known)."""
    reference_logits = np.asarray(reference_logits, np.float32)
    exported_logits = np.asarray(exported_logits, np.float32)
    difference = np.abs(reference_logits - exported_logits)
    reference_top1 = reference_logits.argmax(-1)
    exported_top1 = exported_logits.argmax(-1)
    result = {
        "num_clips": int(len(reference_logits)),
        "max_abs_logit_diff": float(difference.max()),
        "mean_abs_logit_diff": float(difference.mean()),
        "top1_agreement": float(np.mean(reference_top1 == exported_top1)),
    }
    if labels is not None and all(label is not None for label in labels):
        labels = np.asarray(labels)
        result["keras_accuracy"] = float(np.mean(reference_top1 == labels))
        result["tflite_accuracy"] = float(np.mean(exported_top1 == labels))
        result["accuracy_drop"] = result["keras_accuracy"] - result["tflite_accuracy"]
    return result


def verify(model_bytes, single_clip_model, clips, labels=None, latency_repeats=5):
    """Agreement of the export with the Keras model on `clips`, plus latency."""
    clips = [np.asarray(c, np.float32) for c in clips]
    if not clips:
        raise ValueError("verification needs at least one clip. Received: 0 clips")
    reference = keras_logits(single_clip_model, clips)
    exported = tflite_logits(model_bytes, clips)
    result = agreement(reference, exported, labels)
    result["latency"] = measure_latency_ms(model_bytes, clips[0], repeats=latency_repeats)
    return result
