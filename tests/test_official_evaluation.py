"""`evaluate` of an official `.pth` (converted in memory) with 4 clips x 3 crops, on real videos."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dvfl_tf.cli import main


@pytest.fixture(scope="module")
def five_class_videos(tmp_path_factory):
    """Real AVI files in the HMDB51 layout: 5 classes (the tiny parity model's head), 2 test videos each."""
    from dvfl_tf.data import ensure_synthetic

    root = str(tmp_path_factory.mktemp("videos") / "synthetic")
    return ensure_synthetic(root, num_classes=5, train_per_class=1, test_per_class=2, image_size=48, num_frames=12)


@pytest.fixture(scope="module")
def tiny_config(parity_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "config.json"
    path.write_text(json.dumps(json.loads((parity_dir / "tiny" / "meta.json").read_text())["config"]))
    return path


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_evaluate_official_pth_with_4_clips_x_3_crops(parity_dir, tiny_config, five_class_videos, tmp_path):
    from dvfl_tf.convert import model_from_checkpoint, official_input_to_raw
    from dvfl_tf.data import load_index, video_to_clip
    from dvfl_tf.runtime.preprocessing import short_side_for

    checkpoint = parity_dir / "tiny" / "checkpoint.pth"
    output = tmp_path / "evaluation"
    result = CliRunner().invoke(
        main,
        ["evaluate", str(checkpoint), "--config", str(tiny_config), "--dataset", "synthetic"]
        + ["--data-root", five_class_videos, "--views", "4x3", "--batch-size", "3", "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    assert "views 4x3" in result.output
    report = json.loads((output / "evaluation.json").read_text())
    assert report["views"] == [4, 3] and report["videos"] == 10
    assert (report["num_frames"], report["image_size"]) == (4, 64)  # the checkpoint's architecture
    assert (output / "confusion_matrix.png").stat().st_size > 0

    # The model in memory is the official one: it gives the official logits on the parity input.
    model = model_from_checkpoint(str(checkpoint), official_config=str(tiny_config))
    official_input = official_input_to_raw(np.load(parity_dir / "tiny" / "input_btchw.npy"))
    logits = np.asarray(model.predict_on_batch(official_input))
    assert np.max(np.abs(logits - np.load(parity_dir / "tiny" / "logits.npy"))) <= 1e-4

    # Each video's answer is the mean softmax of its 12 views (4 clips x 3 crops), computed here view by view.
    records = load_index("synthetic", five_class_videos).records("test")
    predictions = []
    for record in records:
        views = video_to_clip(record.path, 4, 64, short_side_for(64), views=(4, 3))
        assert views.shape == (12, 4, 64, 64, 3)
        probabilities = _softmax(np.asarray(model.predict_on_batch(views), np.float64)).mean(axis=0)
        predictions.append(int(np.argmax(probabilities)))
    assert report["predictions"] == predictions
    labels = np.array([record.label for record in records])
    assert report["top1"] == pytest.approx(float(np.mean(np.array(predictions) == labels)))


def test_evaluate_official_pth_with_the_official_view_protocol(parity_dir, tiny_config, five_class_videos, tmp_path):
    from dvfl_tf.convert import model_from_checkpoint
    from dvfl_tf.data import load_index
    from dvfl_tf.data.clip_views import official_views_from_frames
    from dvfl_tf.data.data_options import DataOptions
    from dvfl_tf.data.frame_sampling import official_test_indices
    from dvfl_tf.data.video_io import read_video
    from dvfl_tf.evaluation.evaluate import evaluate

    checkpoint = str(parity_dir / "tiny" / "checkpoint.pth")
    result = CliRunner().invoke(
        main,
        ["evaluate", checkpoint, "--config", str(tiny_config), "--dataset", "synthetic", "--data-root"]
        + [five_class_videos, "--views", "4x3", "--view-protocol", "official", "--output", str(tmp_path / "a")],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "a" / "evaluation.json").read_text())
    assert report["views"] == [4, 3] and report["view_protocol"] == "official" and report["videos"] == 10

    # One clip x 3 crops is deterministic in the official code: computed here from the official frame choice
    # (AUG.FRAME_INTERVAL 4) and crops, on the full-size decoded frames.
    options = DataOptions(dataset="synthetic", data_root=five_class_videos)
    report = evaluate(
        checkpoint,
        options,
        views=(1, 3),
        batch_size=4,
        checkpoint={"official_config": str(tiny_config)},
        view_protocol="official",
    )
    model = model_from_checkpoint(checkpoint, official_config=str(tiny_config))
    predictions = []
    for record in load_index("synthetic", five_class_videos).records("test"):
        frames = read_video(record.path)
        views = official_views_from_frames(frames[official_test_indices(len(frames), 4, 1, 4)], 4, 64, (1, 3))
        predictions.append(int(np.argmax(_softmax(np.asarray(model.predict_on_batch(views), np.float64)).mean(axis=0))))
    assert report["predictions"] == predictions


def test_evaluate_checkpoint_options_are_checked(parity_dir, tiny_config, tmp_path):
    checkpoint = str(parity_dir / "tiny" / "checkpoint.pth")
    output = ["--output", str(tmp_path / "evaluation")]
    runner = CliRunner()

    result = runner.invoke(main, ["evaluate", checkpoint, *output])
    assert result.exit_code == 1 and "exactly one of --preset or --config" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(main, ["evaluate", str(tmp_path / "model.keras"), "--preset", "vfl_net_nano", *output])
    assert result.exit_code == 1 and "--preset: for an official .pth model only" in result.output

    # A preset that is not the checkpoint's architecture: every misfit named, nothing written.
    result = runner.invoke(main, ["evaluate", checkpoint, "--preset", "vfl_net_nano", "--image-size", "64", *output])
    assert result.exit_code == 1 and "Checkpoint does not fit the model" in result.output
    assert not (tmp_path / "evaluation").exists()


def test_evaluate_official_pth_with_its_config_file_and_test_opts(
    parity_dir, official_configs_dir, tiny_config, five_class_videos, tmp_path, monkeypatch
):
    """The official evaluation in one command: `evaluate ckpt.pth --cfg FILE --opts TEST.NUM_CLIP 4 TEST.NUM_CROP 3`
    on official list files; the views and the official view protocol come from the file."""
    import shutil

    from dvfl_tf.data import load_index

    monkeypatch.chdir(tmp_path)
    index = load_index("synthetic", five_class_videos)
    lines = []
    for record in index.records("test"):
        relative = f"{index.class_names[record.label]}/{record.path.rsplit('/', 1)[-1]}"
        (tmp_path / "videos" / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(record.path, tmp_path / "videos" / relative)
        lines.append(f"{relative},{record.label}\n")
    (tmp_path / "val.csv").write_text("".join(lines))
    (tmp_path / "labels.csv").write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(index.class_names)))
    opts = ["DATA.ROOT", "videos", "DATA.TRAIN_FILE", "val.csv", "DATA.VAL_FILE", "val.csv"]
    opts += ["DATA.LABEL_LIST", "labels.csv", "DATA.NUM_FRAMES", "4", "DATA.IMG_SIZE", "64", "DATA.INPUT_SIZE", "64"]
    opts += ["DATA.NUM_CLASSES", "5", "MODEL.NUM_CLASSES", "5", "TEST.NUM_CLIP", "4", "TEST.NUM_CROP", "3"]
    cfg = str(official_configs_dir / "video_focalnets" / "kinetics400" / "video-focalnet_tiny.yaml")
    checkpoint = str(parity_dir / "tiny" / "checkpoint.pth")
    # The parity checkpoint is smaller than MODEL.TYPE's architecture: --config gives it (it wins over the file).
    args = ["evaluate", checkpoint, "--cfg", cfg, "--config", str(tiny_config), "--output", "out", "--opts", *opts]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert report["views"] == [4, 3] and report["view_protocol"] == "official"
    assert report["videos"] == len(lines) == 10 and (report["num_frames"], report["image_size"]) == (4, 64)
    assert sorted(report["per_class"]) == sorted(index.class_names)
