"""Tests of the stage builders."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_stage import drop_path_rates


def test_drop_path_rates_rise_linearly_over_all_blocks_as_the_official_linspace():
    rates = drop_path_rates(0.3, [1, 2, 1])
    assert [len(stage) for stage in rates] == [1, 2, 1]
    np.testing.assert_allclose([r for stage in rates for r in stage], np.linspace(0.0, 0.3, 4))
    assert drop_path_rates(0.3, [1]) == [[0.0]]


@pytest.mark.parametrize("depths", [[2, 2, 6, 2], [1]])
def test_drop_path_rates_start_at_zero(depths):
    assert drop_path_rates(0.1, depths)[0][0] == 0.0
