import numpy as np
import pytest

from dvfl_tf.training.distillation_losses import distillation_loss, divergence, soft_cross_entropy

TEACHER = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]], dtype="float32")
STUDENT = np.array([[1.0, 1.0, 0.0], [-1.0, 0.5, 2.0]], dtype="float32")


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _kl(p, q):
    return np.sum(p * (np.log(p) - np.log(q)), axis=-1)


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_forward_kl_matches_hand_computation(temperature):
    p_t, p_s = _softmax(TEACHER / temperature), _softmax(STUDENT / temperature)
    got = np.asarray(divergence(TEACHER, STUDENT, temperature, "forward"))
    np.testing.assert_allclose(got, _kl(p_t, p_s), rtol=1e-5)
    # Not symmetric: the reverse KL is a different number.
    assert not np.allclose(got, _kl(p_s, p_t))


def test_reverse_kl_and_js_match_hand_computation():
    p_t, p_s = _softmax(TEACHER / 2.0), _softmax(STUDENT / 2.0)
    np.testing.assert_allclose(np.asarray(divergence(TEACHER, STUDENT, 2.0, "reverse")), _kl(p_s, p_t), rtol=1e-5)
    m = 0.5 * (p_t + p_s)
    expected_js = 0.5 * _kl(p_t, m) + 0.5 * _kl(p_s, m)
    np.testing.assert_allclose(np.asarray(divergence(TEACHER, STUDENT, 2.0, "js")), expected_js, rtol=1e-5)
    assert np.all(expected_js <= np.log(2.0))


def test_divergence_of_identical_logits_is_zero():
    for kind in ("forward", "reverse", "js"):
        np.testing.assert_allclose(np.asarray(divergence(TEACHER, TEACHER, 3.0, kind)), 0.0, atol=1e-6)


def test_total_loss_weights_and_t_squared_factor():
    targets = np.array([[0.9, 0.05, 0.05], [0.0, 0.3, 0.7]], dtype="float32")  # soft targets
    temperature, alpha = 10.0, 0.2
    total, kd, ce = (np.asarray(v) for v in distillation_loss(targets, STUDENT, TEACHER, temperature, alpha))
    kl = _kl(_softmax(TEACHER / temperature), _softmax(STUDENT / temperature))
    np.testing.assert_allclose(kd, temperature**2 * kl, rtol=1e-4)
    expected_ce = -np.sum(targets * np.log(_softmax(STUDENT)), axis=-1)
    np.testing.assert_allclose(ce, expected_ce, rtol=1e-5)
    np.testing.assert_allclose(total, alpha * kd + (1 - alpha) * ce, rtol=1e-5)


def test_soft_cross_entropy_with_one_hot_equals_sparse_ce():
    onehot = np.eye(3, dtype="float32")[[0, 2]]
    expected = -np.log(_softmax(STUDENT)[[0, 1], [0, 2]])
    np.testing.assert_allclose(np.asarray(soft_cross_entropy(onehot, STUDENT)), expected, rtol=1e-5)


def test_bad_divergence_name_is_a_clear_error():
    with pytest.raises(ValueError, match="kind"):
        divergence(TEACHER, STUDENT, 1.0, "kl")


def test_logits_distillation_is_a_keras_distillation_loss_and_matches_keras_kl():
    import keras

    from dvfl_tf.training.distillation_losses import LogitsDistillation

    ours = LogitsDistillation(temperature=4.0)
    assert isinstance(ours, keras.distillation.DistillationLoss)
    # A KLDivergence instance: with the default string "kl_divergence" Keras 3.15 gets the loss
    # function, not the class, and skips its softmax branch (the KL of clipped raw logits).
    reference = keras.distillation.LogitsDistillation(temperature=4.0, loss=keras.losses.KLDivergence())
    np.testing.assert_allclose(
        float(ours.compute_loss(TEACHER, STUDENT)), float(reference.compute_loss(TEACHER, STUDENT)), rtol=1e-5
    )
    assert LogitsDistillation.from_config(LogitsDistillation(2.0, "js").get_config()).get_config() == {
        "temperature": 2.0,
        "divergence": "js",
    }
    with pytest.raises(ValueError, match="Received: divergence='kl'"):
        LogitsDistillation(divergence="kl")
    with pytest.raises(ValueError, match="Received: temperature=0"):
        LogitsDistillation(temperature=0)
