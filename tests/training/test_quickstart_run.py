"""`run_quickstart` end to end with a shortened recipe (one epoch each, 4 frames of 32x32), in its own process.

The whole app runs: teacher, distilled and scratch students, evaluations, the int8 export and its evaluation,
then the table and `quickstart.json`. Its own process, as `dvfl-tf quickstart`: the determinism settings it
makes (one inter-op thread, op determinism) cannot be undone in a process.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = """
import sys
from dvfl_tf.apps.quickstart import AUGMENT, run_quickstart
from dvfl_tf.data.data_options import DataOptions

recipe = {"epochs": 1, "optimizer": "adamw", "lr": 5e-4, "weight_decay": 0.05, "warmup_epochs": 0.0, "batch_size": 4}
options = DataOptions(dataset="synthetic", data_root=sys.argv[2], num_frames=4, image_size=32, augment=AUGMENT)
run_quickstart(sys.argv[1], teacher_recipe=recipe, student_recipe=recipe, data_options=options, num_calibration=4)
"""
NAMES = ("teacher", "student_distilled", "student_scratch", "student_int8_tflite")


def _evaluation(output, name):
    folder = {
        "teacher": "teacher",
        "student_distilled": "student_distilled_seed0",
        "student_scratch": "student_scratch_seed0",
        "student_int8_tflite": "",
    }[name]
    with open(os.path.join(output, folder, "evaluation", "evaluation.json")) as f:
        return json.load(f)


def test_quickstart_runs_and_its_table_and_json_agree_with_the_evaluations(
    tiny_video_dataset, tmp_path, subprocess_env
):
    output = str(tmp_path / "quickstart")
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, output, tiny_video_dataset],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with open(os.path.join(output, "quickstart.json")) as f:
        summary = json.load(f)

    assert set(summary["accuracy"]) == set(NAMES) and set(summary["top5"]) == set(NAMES)
    evaluations = {name: _evaluation(output, name) for name in NAMES}
    for name in NAMES:
        # Each figure is the one its evaluation wrote, on the 6 test videos of the dataset.
        assert summary["accuracy"][name] == evaluations[name]["top1"], name
        assert summary["top5"][name] == evaluations[name]["top5"], name
        assert evaluations[name]["videos"] == 6
        labels = np.repeat(np.arange(3), 2)  # 2 test videos per class, in class order
        assert evaluations[name]["top1"] == pytest.approx(np.mean(np.array(evaluations[name]["predictions"]) == labels))
    float_predictions = evaluations["student_distilled"]["predictions"]
    int8_predictions = evaluations["student_int8_tflite"]["predictions"]
    agreement = np.mean(np.array(float_predictions) == np.array(int8_predictions))
    assert summary["int8_top1_agreement"] == pytest.approx(agreement)
    assert summary["test_videos"] == 6 and summary["seed"] == 0 and summary["deterministic"] is True
    assert (summary["models"]["num_frames"], summary["models"]["image_size"]) == (4, 32)
    assert summary["recipe"]["teacher"]["epochs"] == summary["recipe"]["student"]["epochs"] == 1
    assert summary["recipe"]["distillation"] == {"temperature": 1.0, "alpha": 0.5}
    assert os.path.getsize(os.path.join(output, "student_int8.tflite")) > 0

    # The table: one row per model with its top-1 to 3 decimals, then the int8 agreement.
    table = completed.stdout[completed.stdout.index("model") :].splitlines()
    rows = {line[:22].strip(): line[22:].strip() for line in table[2:] if line.strip() and not line.startswith("Wrote")}
    assert {name: rows[name] for name in NAMES} == {name: f"{summary['accuracy'][name]:.3f}" for name in NAMES}
    assert rows["int8 vs float agree"] == f"{agreement:.3f}"
    assert f"Wrote {os.path.join(output, 'quickstart.json')}" in completed.stdout
