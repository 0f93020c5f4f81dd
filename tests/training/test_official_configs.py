"""The authors' config files on `train` / `distill` / `evaluate`: `--cfg`, `--opts`, `--print-config`, the
project's own `configs/`, and a tiny `distill --cfg` run on real videos from official-format list files."""

import json
import os
import pathlib
import shutil

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.convert.official_config_defaults import VIDEO_FOCALNETS_DEFAULTS
from dvfl_tf.convert.official_config_file import load_official_config
from dvfl_tf.convert.official_run_config import resolve_settings
from dvfl_tf.data.frame_sampling import official_indices

REPO = pathlib.Path(__file__).resolve().parents[2]
KD_FILES = ("dvfl_net/hmdb51/video-focalnet_nano_kd.yaml", "dvfl_net/ucf101/video-focalnet_nano_kd.yaml")
TRAIN_FILES = (
    "dvfl_net/hmdb51/video-focalnet_base.yaml",
    "dvfl_net/hmdb51/video-focalnet_nano.yaml",
    "video_focalnets/kinetics400/video-focalnet_tiny.yaml",
    "video_focalnets/kinetics400/video-focalnet_base.yaml",
)


def _invoke(args):
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.stdout, result.stderr


def _print_config(args):
    code, out, err = _invoke(args + ["--print-config"])
    assert code == 0, err
    return json.loads(out)


def _yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_packaged_defaults_are_every_official_key(official_configs_dir):
    official = json.loads((official_configs_dir / "video_focalnets" / "config_defaults.json").read_text())
    assert VIDEO_FOCALNETS_DEFAULTS == official


@pytest.mark.parametrize("relative", TRAIN_FILES + KD_FILES)
@pytest.mark.parametrize("world_size", [1, 3])
def test_print_config_gives_the_official_values_and_lr_scaling(
    official_configs_dir, tmp_path, monkeypatch, relative, world_size
):
    monkeypatch.chdir(tmp_path)  # none of the file's data or checkpoints exist here
    path = official_configs_dir / relative
    job = "distill" if relative in KD_FILES else "train"
    out = _print_config([job, "--cfg", str(path), "--world-size", str(world_size)])
    tree = _yaml(path)
    data, model, train, aug = tree["DATA"], tree["MODEL"], tree["TRAIN"], tree["AUG"]
    global_batch = data["BATCH_SIZE"] * world_size
    expected = {
        "epochs": train["EPOCHS"],
        "warmup_epochs": train["WARMUP_EPOCHS"],
        # main.py: linear_scaled_lr = BASE_LR * DATA.BATCH_SIZE * world_size / 512.0 (the same for WARMUP_LR, MIN_LR)
        "lr": train["BASE_LR"] * data["BATCH_SIZE"] * world_size / 512.0,
        "warmup_lr": train["WARMUP_LR"] * data["BATCH_SIZE"] * world_size / 512.0,
        "min_lr": train["MIN_LR"] * data["BATCH_SIZE"] * world_size / 512.0,
        "weight_decay": float(train["WEIGHT_DECAY"]),  # '1e-4': a string to YAML, a float to yacs
        "optimizer": train["OPTIMIZER"]["NAME"],
        "batch_size": data["BATCH_SIZE"],
        "global_batch_size": global_batch,
        "num_frames": data["NUM_FRAMES"],
        "frame_interval": aug["FRAME_INTERVAL"],
        "flip_ratio": aug["FLIP_RATIO"],
        "color_jitter": aug["COLOR_JITTER"],
        "gray_scale": aug["GRAY_SCALE"],
        "mixup": aug["MIXUP"],
        "mixup_prob": 1.0,  # AUG.MIXUP_PROB: not passed to the official blending (no_effect below)
        "label_smoothing": 0.1,
        "drop_path_rate": model["DROP_PATH_RATE"],
        "num_classes": model["NUM_CLASSES"],
    }
    if job == "distill":
        expected.update(temperature=tree["KD"]["TEMPERATURE"], alpha=tree["KD"]["ALPHA"])
    settings = out["settings"]
    assert {name: settings[name] for name in expected} == expected
    assert out["sources"]["epochs"] == "file" and out["sources"]["lr"] == "file"
    assert out["sources"]["mixup_prob"] == "default"
    no_effect = {entry["key"] for entry in out["no_effect"]}
    assert "AUG.MIXUP_PROB" in no_effect and "SAVE_FREQ" in no_effect
    assert list(tmp_path.iterdir()) == []


def test_the_hmdb51_kd_file_names_its_inconsistencies(official_configs_dir):
    out = _print_config(["distill", "--cfg", str(official_configs_dir / KD_FILES[0])])
    no_effect = {entry["key"]: entry["reason"] for entry in out["no_effect"]}
    assert "KD.ALPHA and KD.TEMPERATURE only" in no_effect["KD.BETA"]
    assert "KD.ALPHA and KD.TEMPERATURE only" in no_effect["KD.GAMMA"]
    assert any("TEACHER_MODEL.NUM_CLASSES (50) differs from MODEL.NUM_CLASSES (51)" in note for note in out["notes"])


def test_opts_change_exactly_those_settings(official_configs_dir):
    base = ["distill", "--cfg", str(official_configs_dir / KD_FILES[0])]
    plain = _print_config(base)
    changed = _print_config(base + ["--opts", "TRAIN.EPOCHS", "3", "KD.TEMPERATURE", "4"])
    differ = {name for name in plain["settings"] if plain["settings"][name] != changed["settings"][name]}
    assert differ == {"epochs", "temperature"}
    assert (changed["settings"]["epochs"], changed["settings"]["temperature"]) == (3, 4.0)
    assert (changed["sources"]["epochs"], changed["sources"]["temperature"]) == ("opts", "opts")
    assert changed["opts"] == ["TRAIN.EPOCHS", "3", "KD.TEMPERATURE", "4"]


def test_explicit_options_win_over_the_file_and_opts(official_configs_dir):
    out = _print_config(
        ["train", "--cfg", str(official_configs_dir / TRAIN_FILES[0]), "--opts", "TRAIN.EPOCHS", "3"]
        + ["--epochs", "7", "--batch-size", "16", "--flip-ratio", "0"]
    )
    settings, sources = out["settings"], out["sources"]
    assert (settings["epochs"], sources["epochs"]) == (7, "option")
    assert (settings["global_batch_size"], sources["global_batch_size"]) == (16, "option")
    assert settings["lr"] == pytest.approx(0.1 * 16 / 512) and sources["lr"] == "option"
    assert (settings["flip_ratio"], sources["flip_ratio"]) == (0.0, "option")
    assert (settings["dataset"], sources["dataset"]) == ("list", "file")
    out = _print_config(["train", "--cfg", str(official_configs_dir / TRAIN_FILES[0]), "--dataset", "hmdb51"])
    assert (out["settings"]["dataset"], out["sources"]["dataset"]) == ("hmdb51", "option")


def test_base_files_are_layered_under_the_file(tmp_path):
    (tmp_path / "parent.yaml").write_text("TRAIN:\n  EPOCHS: 30\n  BASE_LR: 0.2\nDATA:\n  DATASET: ucf101\n")
    (tmp_path / "child.yaml").write_text(
        "BASE: ['parent.yaml']\nTRAIN:\n  EPOCHS: 50\nMODEL:\n  TYPE: videofocalnet_nano\n  NUM_CLASSES: 101\n"
    )
    config = load_official_config(str(tmp_path / "child.yaml"), ["TRAIN.WEIGHT_DECAY", "1e-3"])
    assert (config["TRAIN.EPOCHS"], config["TRAIN.BASE_LR"], config["TRAIN.WEIGHT_DECAY"]) == (50, 0.2, 1e-3)
    assert config["TRAIN.MIN_LR"] == VIDEO_FOCALNETS_DEFAULTS["TRAIN.MIN_LR"]
    assert config.sources["TRAIN.EPOCHS"] == "file" and config.sources["TRAIN.WEIGHT_DECAY"] == "opts"
    settings = resolve_settings(config, "train")["settings"]
    assert settings["model"] == "vfl_net_nano" and settings["dataset_name"] == "ucf101"


@pytest.mark.parametrize(
    "extra, file_text, message",
    [
        (["--opts", "TRAIN.EPOCHZ", "3"], None, "--opts: unknown key TRAIN.EPOCHZ"),
        ([], "TRAIN:\n  EPOCHZ: 3\n", "bad.yaml: unknown key TRAIN.EPOCHZ"),
        (["--opts", "DATA.DATASET", "kinetics600"], None, "DATA.DATASET 'kinetics600' is not supported"),
        (["--opts", "TRAIN.EPOCHS", "3.5"], None, "--opts: TRAIN.EPOCHS expects int"),
        (["--opts", "TRAIN.EPOCHS"], None, "--opts: expected KEY VALUE pairs"),
    ],
)
@pytest.mark.parametrize("print_only", [False, True])
def test_a_bad_key_or_dataset_is_one_line_and_writes_nothing(
    official_configs_dir, tmp_path, monkeypatch, extra, file_text, message, print_only
):
    monkeypatch.chdir(tmp_path)
    cfg = str(official_configs_dir / KD_FILES[0])
    if file_text is not None:
        cfg = str(tmp_path / "bad.yaml")
        pathlib.Path(cfg).write_text(file_text)
    args = (
        ["distill", "--cfg", cfg, "--output", str(tmp_path / "run")]
        + extra
        + (["--print-config"] if print_only else [])
    )
    code, out, err = _invoke(args)
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["bad.yaml"] if file_text else [])


def test_official_sampling_is_mmaction_sample_frames():
    from dvfl_tf.data.clip_config import ClipDatasetConfig

    with pytest.raises(ValueError, match="sampling='official' takes one clip per video"):
        ClipDatasetConfig(training=False, batch_size=2, sampling="official", views=(4, 3))
    # SampleFrames(clip_len=1, frame_interval=4, num_clips=8), test mode, 32 frames: the span is 29 frames,
    # segments of 29 / 8 = 3.625, each segment's middle.
    assert official_indices(32, 8, 4, training=False).tolist() == [1, 5, 9, 12, 16, 19, 23, 27]
    # frame_interval 1: the whole video (32 / 8 = 4 per segment).
    assert official_indices(32, 8, 1, training=False).tolist() == [2, 6, 10, 14, 18, 22, 26, 30]
    rng = np.random.default_rng(0)
    for _ in range(20):  # training: one random frame in each of 8 segments of 29 // 8 = 3 frames
        indices = official_indices(32, 8, 4, training=True, rng=rng)
        assert all(3 * i <= index < 3 * i + 3 for i, index in enumerate(indices))


def test_official_schedule_is_timm_cosine_stepped_as_the_official_loop():
    from dvfl_tf.training.optimization import WarmupCosine

    peak, warmup_lr, min_lr, total, warmup = 0.0046875, 4.6875e-05, 4.6875e-05, 120, 20
    schedule = WarmupCosine(peak, total, warmup, min_lr=min_lr, warmup_lr=warmup_lr)
    rates = [float(schedule(step)) for step in range(total + 2)]

    def timm(t):  # CosineLRScheduler(t_initial=total, warmup_t=warmup, warmup_prefix=False, cycle_limit=1)
        if t < warmup:
            return warmup_lr + t * (peak - warmup_lr) / warmup
        return min_lr + 0.5 * (peak - min_lr) * (1 + np.cos(np.pi * t / total)) if t < total else min_lr

    # Step k runs at the rate set by step_update(k - 1); step 0 at the initial warmup_lr.
    expected = [warmup_lr] + [timm(k - 1) for k in range(1, total + 2)]
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    assert rates[warmup + 1] < peak  # the cosine counts from step 0: past its top when the warmup ends


def test_the_project_configs_equal_the_official_files(official_configs_dir):
    """Every key of configs/ that an official file also has, equal; the one deliberate change named."""
    pairs = {
        "hmdb51/video-focalnet_base.yaml": "dvfl_net/hmdb51/video-focalnet_base.yaml",
        "hmdb51/video-focalnet_nano.yaml": "dvfl_net/hmdb51/video-focalnet_nano.yaml",
        "hmdb51/video-focalnet_nano_kd.yaml": "dvfl_net/hmdb51/video-focalnet_nano_kd.yaml",
        "ucf101/video-focalnet_nano_kd.yaml": "dvfl_net/ucf101/video-focalnet_nano_kd.yaml",
        "kinetics400/video-focalnet_tiny.yaml": "video_focalnets/kinetics400/video-focalnet_tiny.yaml",
        "kinetics400/video-focalnet_base.yaml": "video_focalnets/kinetics400/video-focalnet_base.yaml",
    }
    deliberate = {("hmdb51/video-focalnet_nano_kd.yaml", "TEACHER_MODEL.NUM_CLASSES"): (50, 51)}
    for ours, official in pairs.items():
        mine = load_official_config(str(REPO / "configs" / ours))
        theirs = load_official_config(str(official_configs_dir / official))
        assert mine.set_keys() == theirs.set_keys(), ours
        for key in theirs.set_keys():
            expected = deliberate.get((ours, key), (theirs[key], theirs[key]))
            assert (theirs[key], mine[key]) == expected, f"{ours}: {key}"
    # The files without an official counterpart here: the same recipe, the dataset's paths and classes.
    others = {"ucf101": (101, ("base", "nano")), "ucf50": (50, ("base", "nano", "nano_kd"))}
    for dataset, (classes, names) in others.items():
        for name in (f"video-focalnet_{name}" for name in names):
            mine = load_official_config(str(REPO / "configs" / dataset / f"{name}.yaml"))
            hmdb = load_official_config(str(REPO / "configs" / "hmdb51" / f"{name}.yaml"))
            assert mine.set_keys() == hmdb.set_keys()
            for key in hmdb.set_keys():
                if (
                    key.startswith("DATA.")
                    or "NUM_CLASSES" in key
                    or key in ("KD.ALPHA", "TEACHER_MODEL.PRETRAINED_PATH")
                ):
                    continue
                assert mine[key] == hmdb[key], f"{dataset}/{name}: {key}"
            assert mine["MODEL.NUM_CLASSES"] == mine["DATA.NUM_CLASSES"] == classes
            assert mine["DATA.DATASET"] == dataset
    small = load_official_config(str(REPO / "configs" / "kinetics400" / "video-focalnet_small.yaml"))
    assert (small["MODEL.TYPE"], small["TRAIN.BASE_LR"], small["MODEL.DROP_PATH_RATE"]) == (
        "videofocalnet_small",
        0.01,
        0.3,
    )


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REPO)) for p in (REPO / "configs").rglob("*.yaml")))
def test_every_project_config_resolves(path):
    job = "distill" if path.endswith("_kd.yaml") else "train"
    out = resolve_settings(load_official_config(str(REPO / path)), job)
    assert out["notes"] == [] and out["settings"]["num_classes"] > 0


def test_distill_with_cfg_runs_from_official_list_files(
    official_configs_dir, official_flows_dir, tiny_video_dataset, tiny_teacher_file, tmp_path, monkeypatch
):
    """The official HMDB51 KD file, made tiny with --opts, on real videos listed as the official code reads them,
    the student started from an official ImageNet FocalNet .pth at the file's own TRAIN.PRETRAINED_PATH; the
    run's config.json holds the mapped settings."""
    from dvfl_tf.data.datasets import load_index

    monkeypatch.chdir(tmp_path)
    index = load_index("hmdb51", tiny_video_dataset, split=1)
    root = tmp_path / "data" / "hmdb51"
    for split, list_name in (("train", "train.csv"), ("test", "val.csv")):
        lines = []
        for record in index.records(split):
            relative = os.path.join(index.class_names[record.label], os.path.basename(record.path))
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(record.path, root / relative)
            lines.append(f"{relative},{record.label}\n")
        (root / list_name).write_text("".join(lines))
    (tmp_path / "labels").mkdir()
    names = "".join(f"{i},{name}\n" for i, name in enumerate(index.class_names))
    (tmp_path / "labels" / "hmdb_51_labels.csv").write_text("id,name\n" + names)
    (tmp_path / "pretrained").mkdir()
    shutil.copy(tiny_teacher_file, tmp_path / "pretrained" / "teacher.keras")
    # An official ImageNet FocalNet-srf checkpoint (dim 16) where the file expects focalnet_tiny_srf.pth.
    start = tmp_path / "pretrained" / "focalnet_tiny_srf.pth"
    shutil.copy(official_flows_dir / "imagenet_to_student" / "pretrained.pth", start)

    opts = ["DATA.NUM_FRAMES", "4", "DATA.IMG_SIZE", "32", "DATA.INPUT_SIZE", "32", "DATA.BATCH_SIZE", "4"]
    opts += ["DATA.NUM_CLASSES", "3", "MODEL.NUM_CLASSES", "3", "TEACHER_MODEL.NUM_CLASSES", "3", "TRAIN.EPOCHS", "1"]
    opts += ["TEACHER_MODEL.PRETRAINED_PATH", "pretrained/teacher.keras"]
    cfg = str(official_configs_dir / KD_FILES[0])
    args = ["distill", "--cfg", cfg, "--output", "run", "--backbone-overrides", '{"embed_dim": 16}']
    args += ["--steps-per-epoch", "1", "--no-validation", "--opts"] + opts  # evaluate below reads DATA.VAL_FILE
    code, out, err = _invoke(args)
    assert code == 0, err[-3000:]
    assert f"Pretrained start from {start}" in out and "head re-initialised: checkpoint has 1000 classes" in out
    assert "KD.BETA = 0.3 has no effect" in err and "KD.GAMMA = 0.5 has no effect" in err

    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["epochs"], config["batch_size"], config["warmup_epochs"]) == (1, 4, 20.0)
    assert config["lr"] == pytest.approx(0.1 * 4 / 512) and config["warmup_lr"] == pytest.approx(0.001 * 4 / 512)
    assert config["min_lr"] == pytest.approx(0.001 * 4 / 512)
    assert (config["optimizer"], config["weight_decay"], config["temperature"], config["alpha"]) == (
        "sgd",
        1e-4,
        10.0,
        0.2,
    )
    extra = config["extra"]
    assert extra["teacher"] == str(tmp_path / "pretrained" / "teacher.keras")
    assert extra["student"] == "vfl_net_nano" and extra["drop_path_rate"] == 0.1 and extra["student_init"] == str(start)
    assert extra["official_config"] == {"file": cfg, "opts": opts, "world_size": 1}
    data = extra["data"]
    assert (data["dataset"], data["num_frames"], data["image_size"]) == ("list", 4, 32)
    assert (data["sampling"], data["frame_interval"], data["eval_split"]) == ("official", 4, "val")
    assert data["index_options"]["lists"] == {"train": str(root / "train.csv"), "val": str(root / "val.csv")}
    assert data["augment"] == {"flip": True, "flip_prob": 0.5, "color_jitter_prob": 0.8, "grayscale_prob": 0.2}
    assert data["mixup"] == {
        "mixup_alpha": 0.8,
        "cutmix_alpha": 1.0,
        "prob": 1.0,
        "switch_prob": 0.5,
        "label_smoothing": 0.1,
    }
    assert (tmp_path / "run" / "best.keras").is_file()

    # The same file on evaluate: the DATA.VAL_FILE list, the official single-view sampling.
    code, out, err = _invoke(["evaluate", "run/best.keras", "--cfg", cfg, "--json", "--opts"] + opts)
    assert code == 0, err[-3000:]
    report = json.loads(out)
    assert report["videos"] == len(index.records("test"))


def test_evaluate_takes_the_views_and_checkpoint_of_the_file(official_configs_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = str(official_configs_dir / TRAIN_FILES[1])
    out = _print_config(["evaluate", "--cfg", cfg, "--opts", "TEST.NUM_CLIP", "4", "TEST.NUM_CROP", "3"])
    assert (out["settings"]["views"], out["sources"]["views"]) == ([4, 3], "opts")
    assert out["settings"]["val_file"] == str(tmp_path / "data" / "hmdb51" / "val.csv")
    out = _print_config(["evaluate", "--cfg", cfg, "--views", "2x1", "--opts", "MODEL.RESUME", "ckpt.pth"])
    assert (out["settings"]["views"], out["sources"]["views"]) == ([2, 1], "option")
    assert out["settings"]["resume"] == str(tmp_path / "ckpt.pth") and out["settings"]["preset"] == "vfl_net_nano"
    assert {entry["key"] for entry in out["no_effect"]} >= {"TRAIN.BASE_LR", "AUG.MIXUP"}


def test_the_recipe_options_reach_the_clips_without_cfg(tiny_video_dataset):
    """--flip-ratio, --color-jitter, --gray-scale, --mixup-*, --label-smoothing, --sampling, --frame-interval,
    --warmup-lr: dvfl-tf options of their own, printed with their source and handed to the data pipeline."""
    args = ["train", "--dataset", "hmdb51", "--data-root", tiny_video_dataset, "--flip-ratio", "0.3"]
    args += ["--gray-scale", "0", "--mixup-alpha", "0.4", "--label-smoothing", "0.2", "--sampling", "official"]
    args += ["--frame-interval", "2", "--warmup-lr", "0.001"]
    out = _print_config(args)
    settings, sources = out["settings"], out["sources"]
    assert (settings["flip_ratio"], settings["gray_scale"], settings["mixup"]) == (0.3, 0.0, 0.4)
    assert (settings["label_smoothing"], settings["frame_interval"], settings["warmup_lr"]) == (0.2, 2, 0.001)
    assert sources["flip_ratio"] == sources["warmup_lr"] == "option" and sources["color_jitter"] == "default"
    assert out["config_file"] is None and out["no_effect"] == []

    from dvfl_tf.cli.config_options import augment_and_mixup
    from dvfl_tf.data.data_options import DataOptions, load_dataset_index

    augment, mixup = augment_and_mixup(settings, ("flip_ratio", "gray_scale"))
    options = DataOptions("hmdb51", tiny_video_dataset, num_frames=4, image_size=32, augment=augment, mixup=mixup)
    options.sampling, options.frame_interval = settings["sampling"], settings["frame_interval"]
    index = load_dataset_index(options, check=False)
    clips = options.clip_config(index, training=True, batch_size=2)
    assert (clips.sampling, clips.frame_interval) == ("official", 2)
    recipe = clips.augment_config()
    # The synthetic tree keeps its own rule for what was not given (its crop area), and takes what was.
    assert (recipe.flip, recipe.flip_prob, recipe.grayscale_prob, recipe.color_jitter_prob) == (True, 0.3, 0.0, 0.8)
    blend = clips.mixup_config()
    assert (blend.mixup_alpha, blend.label_smoothing, blend.prob) == (0.4, 0.2, 1.0)
