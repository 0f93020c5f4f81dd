"""The Keras model computes the official Video-FocalNet function (fixtures from the official code)."""

import json

import keras
import numpy as np
import pytest

from dvfl_tf.convert import convert_checkpoint, official_input_to_raw

FIXTURES = ["tiny", "options", "conv_embed"]
ATOL = 1e-4  # float32 rounding of a different operation order


@pytest.mark.parametrize("fixture", FIXTURES)
def test_converted_checkpoint_reproduces_official_logits_and_features(fixture, parity_dir, tmp_path):
    folder = parity_dir / fixture
    meta = json.loads((folder / "meta.json").read_text())
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(meta["config"]))
    output = tmp_path / "model.keras"

    report = convert_checkpoint(str(folder / "checkpoint.pth"), str(output), official_config=str(config_path))
    assert len(report["loaded"]) == meta["state_dict_keys"]

    model = keras.saving.load_model(output)
    assert model.count_params() == meta["num_params"]
    clips = official_input_to_raw(np.load(folder / "input_btchw.npy"))
    logits = np.asarray(model.predict(clips, verbose=0))
    expected = np.load(folder / "logits.npy")
    assert logits.shape == expected.shape
    np.testing.assert_allclose(logits, expected, atol=ATOL, rtol=0)

    features = model.backbone.feature_model()(clips.reshape((-1,) + clips.shape[2:]))
    official = np.load(folder / "features.npz")
    assert sorted(official.files) == sorted(features)
    for name in official.files:
        ours = np.asarray(features[name])
        ours = ours.reshape(ours.shape[0], -1, ours.shape[-1])  # (B*T', H*W row-major, C)
        np.testing.assert_allclose(ours, official[name], atol=ATOL, rtol=0, err_msg=name)
