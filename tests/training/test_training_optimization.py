import math

import keras
import numpy as np
import pytest

from dvfl_tf.training.optimization import WarmupCosine, build_optimizer, no_decay_variables, scaled_learning_rate
from tests.model_testing import tiny_classifier


def test_learning_rate_is_scaled_by_batch_over_512():
    assert scaled_learning_rate(0.1, 512) == pytest.approx(0.1)
    assert scaled_learning_rate(0.1, 64) == pytest.approx(0.0125)


def test_warmup_then_cosine():
    schedule = WarmupCosine(peak_lr=1.0, total_steps=110, warmup_steps=10, min_lr=0.1)
    values = [float(schedule(step)) for step in (0, 4, 9, 10, 60, 110, 200)]
    assert values[0] == pytest.approx(0.1)  # (step + 1) / warmup
    assert values[1] == pytest.approx(0.5)
    assert values[2] == pytest.approx(1.0)
    assert values[3] == pytest.approx(1.0)
    assert values[4] == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi * 0.5)))
    assert values[5] == pytest.approx(0.1)
    assert values[6] == pytest.approx(0.1)  # stays at min_lr after the end
    clone = WarmupCosine.from_config(schedule.get_config())
    assert float(clone(60)) == pytest.approx(values[4])
    with pytest.raises(ValueError, match="warmup_steps"):
        WarmupCosine(1.0, total_steps=5, warmup_steps=6)


def test_optimizer_decays_weights_but_not_norms_and_biases():
    model = tiny_classifier(3)
    excluded = no_decay_variables(model)
    names = {v.path for v in excluded}
    assert any("gamma" in n for n in names) and any("bias" in n for n in names)
    assert all(len(v.shape) <= 1 for v in excluded)
    optimizer = build_optimizer(model, learning_rate=0.1, weight_decay=0.5, clipnorm=5.0)
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.nesterov and optimizer.momentum == 0.9
    assert optimizer.global_clipnorm == 5.0
    # With zero gradients only weight decay moves the variables.
    variables = model.trainable_variables
    before = [np.array(v) for v in variables]
    optimizer.apply([keras.ops.zeros_like(v) for v in variables], variables)
    for variable, old in zip(variables, before):
        moved = not np.allclose(np.array(variable), old)
        if len(variable.shape) <= 1:
            assert not moved, variable.path
        elif np.any(old != 0):
            assert moved, variable.path
    assert isinstance(build_optimizer(model, 0.001, optimizer="adamw"), keras.optimizers.AdamW)
    with pytest.raises(ValueError, match="optimizer"):
        build_optimizer(model, 0.1, optimizer="lamb")
