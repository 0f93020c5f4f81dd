import json
import os

import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.training.callbacks import read_history
from dvfl_tf.training.run import RunConfigMismatch, TrainConfig, train_run
from tests.model_testing import random_clips, tiny_classifier

NUM_CLASSES = 3


def _data(batch=4):
    clips = random_clips(2 * batch, 4, 32, seed=3)
    labels = np.eye(NUM_CLASSES, dtype="float32")[np.arange(2 * batch) % NUM_CLASSES]
    ds = tf.data.Dataset.from_tensor_slices((clips, labels)).batch(batch)
    return ds.repeat(), ds


def _build():
    return tiny_classifier(NUM_CLASSES), tiny_classifier(NUM_CLASSES, embed_dim=12)


def test_run_writes_everything_and_a_finished_run_is_not_redone(tmp_path, capsys):
    train, val = _data()
    config = TrainConfig(output=str(tmp_path / "run"), epochs=2, batch_size=4, lr=0.01, warmup_epochs=1, verbose=0)
    state = train_run(config, _build, train, steps_per_epoch=2, validation_data=val)
    assert state["status"] == "complete" and state["epochs_done"] == 2
    run = tmp_path / "run"
    for name in ("config.json", "state.json", "history.csv", "best.keras", "last.keras", "curves_loss.png"):
        assert (run / name).exists(), name
    assert os.listdir(run / "tensorboard")
    rows = read_history(str(run / "history.csv"))
    assert [row["epoch"] for row in rows] == [0, 1]
    assert {"loss", "kd_loss", "ce_loss", "top1", "val_top1"} <= set(rows[0])
    assert json.loads((run / "config.json").read_text())["alpha"] == 0.2

    again = train_run(config, _build, train, steps_per_epoch=2, validation_data=val)
    assert again["epochs_done"] == 2
    assert "finished already" in capsys.readouterr().out

    changed = TrainConfig(**{**config.to_dict(), "alpha": 0.5})
    with pytest.raises(RunConfigMismatch, match="alpha"):
        train_run(changed, _build, train, steps_per_epoch=2, validation_data=val)


def test_nan_loss_stops_with_a_message(tmp_path, capsys):
    train, _ = _data()
    config = TrainConfig(output=str(tmp_path / "nan"), epochs=1, batch_size=4, lr=1e30, clipnorm=0.0, verbose=0)
    state = train_run(config, _build, train, steps_per_epoch=2)
    assert state["status"] == "nan"
    assert "became nan" in capsys.readouterr().out.lower()


def test_mixed_precision_run_trains_in_float16_with_float32_losses(tmp_path):
    import keras

    train, _ = _data()
    config = TrainConfig(output=str(tmp_path / "mp"), epochs=1, batch_size=4, lr=0.01, verbose=0, mixed_precision=True)
    try:
        state = train_run(config, _build, train, steps_per_epoch=1)
        student = keras.saving.load_model(str(tmp_path / "mp" / "last.keras"))
        assert student.dtype_policy.name == "mixed_float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert state["status"] == "complete"
    assert np.isfinite(read_history(str(tmp_path / "mp" / "history.csv"))[0]["loss"])


def test_training_curves_are_redrawn_at_most_once_per_interval(tmp_path):
    from dvfl_tf.training.callbacks import TrainingCurves

    history = tmp_path / "history.csv"
    history.write_text("epoch,loss,top1\n0,2.0,0.1\n")
    curves = TrainingCurves(str(history), str(tmp_path), min_interval=3600)
    curves.on_epoch_end(0)
    drawn = (tmp_path / "curves_loss.png").stat().st_mtime_ns
    (tmp_path / "curves_loss.png").unlink()
    history.write_text("epoch,loss,top1\n0,2.0,0.1\n1,1.5,0.3\n")
    curves.on_epoch_end(1)
    assert drawn and not (tmp_path / "curves_loss.png").exists()  # within the interval: not redrawn
    curves.min_interval = 0.0
    curves.on_epoch_end(2)
    assert (tmp_path / "curves_loss.png").exists()
