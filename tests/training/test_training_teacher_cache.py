import numpy as np

from dvfl_tf.data.data_options import DataOptions, evaluation_dataset, load_dataset_index
from dvfl_tf.models.model_loading import load_keras_model
from dvfl_tf.training.callbacks import read_history
from dvfl_tf.training.run import TrainConfig
from dvfl_tf.training.teacher_cache import cache_teacher_logits, load_cache
from dvfl_tf.training.workflows import distill_offline


def test_cached_teacher_logits_drive_offline_distillation(tiny_video_dataset, tiny_teacher_file, tmp_path):
    cache = str(tmp_path / "teacher_logits.npz")
    options = DataOptions(dataset="synthetic", data_root=tiny_video_dataset)
    cache_teacher_logits(tiny_teacher_file, options, cache, views=(2, 1), batch_size=4)
    logits, labels, meta = load_cache(cache)
    assert logits.shape == (12, 2, 3) and labels.shape == (12,)
    assert len(meta["paths"]) == 12 and meta["data"]["num_frames"] == 4
    # Two temporal clips give two different teacher outputs; the first video's are the teacher's own.
    assert not np.allclose(logits[:, 0], logits[:, 1])
    train_as_eval = DataOptions(**{**meta["data"], "eval_split": "train"})
    clips, _ = next(iter(evaluation_dataset(train_as_eval, load_dataset_index(train_as_eval), 1, views=(2, 1))))
    expected = load_keras_model(tiny_teacher_file).predict_on_batch(np.asarray(clips)[0])
    np.testing.assert_allclose(logits[0], expected, atol=1e-4)

    config = TrainConfig(
        output=str(tmp_path / "run"),
        epochs=1,
        batch_size=4,
        lr=0.01,
        warmup_epochs=0,
        temperature=2.0,
        alpha=0.5,
        verbose=0,
    )
    state = distill_offline(
        config, cache, student="vfl_net_nano", overrides={"embed_dim": 8, "depths": [1, 1, 1, 1]}, validate=False
    )
    assert state["status"] == "complete"
    row = read_history(str(tmp_path / "run" / "history.csv"))[0]
    assert row["kd_loss"] > 0 and np.isfinite(row["loss"])
    # The student keeps the class names of the dataset the logits were cached on.
    student = load_keras_model(str(tmp_path / "run" / "last.keras"))
    assert student.class_names == meta["class_names"]
