"""Bounds for a quantized file's outputs against the float model's, stated in the file's own units.

A bound in absolute units says nothing when the model's logits are ~0.07 (a fresh head): zeros, or another clip's
logits, meet it too. These are relative to the output quantization step of the file and to the logits' spread,
and `assert_logits_agree` checks that the same bounds reject zeros and another clip's logits.
"""

import numpy as np


def output_step(path):
    """The quantization step of a quantized `.tflite` file's output (its logits' unit)."""
    from dvfl_tf.runtime import TFLiteVideoClassifier

    scale, _ = TFLiteVideoClassifier(path).interpreter.get_output_details()[0]["quantization"]
    assert scale > 0, f"{path} has a float output"
    return float(scale)


def logit_failures(reference, candidate, step, p95_steps=3.0, mean_steps=1.5, margin_steps=2.0):
    """Which of the bounds on a quantized file's logits `candidate` against the float `reference` (N, C) fail.

    - top-1 agreement >= 99% on the clips where the float top-1 leads by more than `margin_steps` output steps
      (closer calls are ties at the file's resolution);
    - the 95th percentile and the mean of |diff| within `p95_steps` and `mean_steps` output steps.
    """
    reference, candidate = np.asarray(reference, np.float64), np.asarray(candidate, np.float64)
    ordered = np.sort(reference, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > margin_steps * step
    diff = np.abs(candidate - reference)
    failures = []
    if clear.sum() < 0.8 * len(reference):
        failures.append(f"only {clear.sum()} of {len(reference)} clips have a clear top-1")
    agreement = float(np.mean(candidate[clear].argmax(1) == reference[clear].argmax(1)))
    if agreement < 0.99:
        failures.append(f"top-1 agreement {agreement:.3f} < 0.99")
    if np.percentile(diff, 95) > p95_steps * step:
        failures.append(f"p95 |diff| {np.percentile(diff, 95) / step:.2f} steps > {p95_steps}")
    if diff.mean() > mean_steps * step:
        failures.append(f"mean |diff| {diff.mean() / step:.2f} steps > {mean_steps}")
    return failures


def assert_logits_agree(reference, candidate, step, **bounds):
    """`candidate` meets `logit_failures`' bounds, which reject zeros and the logits of other clips."""
    reference = np.asarray(reference, np.float64)
    assert reference.std() > 1.0, f"logits of spread {reference.std():.3f}: no real scale to compare at"
    assert logit_failures(reference, candidate, step, **bounds) == []
    assert logit_failures(reference, np.zeros_like(reference), step, **bounds)
    assert logit_failures(reference, np.roll(reference, 1, axis=0), step, **bounds)


def softmax(logits):
    logits = np.asarray(logits, np.float64)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def total_variation(p, q):
    """Per row: half the L1 distance between two probability vectors (0: equal, 1: disjoint)."""
    return 0.5 * np.abs(np.asarray(p, np.float64) - np.asarray(q, np.float64)).sum(axis=-1)
