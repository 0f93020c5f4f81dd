"""Every bad input and fault tried against dvfl-tf, with the one line a user sees: the source of docs/reliability.md.

One case = one entry of `CASES`. Two kinds:

- `Case(...)` with `argv`: run by tests/reliability/test_reliability_cases.py through the
  real CLI (one subprocess for all of them, each case in a fresh copy of the
  files of reliability_workspace.py); the test checks the exit status, that
  exactly one line starts with "Error:" and matches `message` (fnmatch: `*`
  stands for any text), that nothing prints "Traceback", that the files in
  `unchanged` are byte-identical afterwards and those in `absent` were not made.
- `Case(...)` with `test="tests/path.py::test_name"` instead of `argv`: a fault
  that needs more than one command line (a killed run, a NaN loss...), backed
  by that test; the table test checks that the test exists.

Regenerate the docs table after editing: python tests/reliability/reliability_cases.py --write
"""

import dataclasses
import json
import os
import sys

DOC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "reliability.md")
BEGIN = "<!-- cases:begin (generated from tests/reliability/reliability_cases.py; do not edit by hand) -->"
END = "<!-- cases:end -->"


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    command: str  # the command tried, for the table
    fault: str  # what is wrong, in words
    message: str  # the line the user sees (fnmatch pattern for `argv` cases)
    argv: tuple = ()
    exit_code: int = 1  # 1: our error line; 2: click's usage error (a bad option value)
    unchanged: tuple = ()  # files (relative to the workspace) that must stay byte-identical
    unchanged_dirs: tuple = ()  # folders whose listing must stay the same
    absent: tuple = ()  # files that must not be created
    test: str = ""  # for faults backed by a dedicated test instead of `argv`
    env: tuple = ()  # (name, value) environment variables of the case (value None: unset)


# A one-stage student of 2 frames of 16x16 (the workspace's data and models), one step.
_TINY_RUN = (
    "--model",
    "vfl_net_nano",
    "--backbone-overrides",
    '{"embed_dim": 8, "depths": [1], "focal_levels": [2], "focal_windows": [3]}',
    "--num-frames",
    "2",
    "--image-size",
    "16",
    "--batch-size",
    "2",
    "--epochs",
    "1",
    "--steps-per-epoch",
    "1",
    "--no-validation",
)


def _tf_config(workers, task_type, index):
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": task_type, "index": index}})


def _range(option, text):
    return f"Error: Invalid value for '{option}': {text}"


CASES = [
    # --- writes never destroy -------------------------------------------------------------------
    Case(
        "export-onto-own-input",
        "export-tflite",
        "`-o` is the input .keras model",
        "Error: --output model.keras: the file written is .tflite; name it so",
        argv=("export-tflite", "model.keras", "-o", "model.keras"),
        unchanged=("model.keras",),
    ),
    Case(
        "export-onto-own-input-overwrite",
        "export-tflite",
        "`-o` is the input, even with --overwrite",
        "Error: --output model.keras: the file written is .tflite; name it so",
        argv=("export-tflite", "model.keras", "-o", "model.keras", "--overwrite"),
        unchanged=("model.keras",),
    ),
    Case(
        "export-existing-output",
        "export-tflite",
        "`-o` names an existing file, no --overwrite",
        "Error: --output existing.tflite: exists; pass --overwrite to replace it",
        argv=("export-tflite", "model.keras", "-o", "existing.tflite"),
        unchanged=("existing.tflite",),
    ),
    Case(
        "export-existing-sidecar",
        "export-tflite",
        "the `.tflite.json` sidecar beside `-o` exists",
        "Error: --output's sidecar orphan.tflite.json: exists; pass --overwrite to replace it",
        argv=("export-tflite", "model.keras", "-o", "orphan.tflite", "--report", "new.json"),
        unchanged=("orphan.tflite.json",),
        absent=("orphan.tflite", "new.json"),
    ),
    Case(
        "export-report-is-input",
        "export-tflite",
        "`--report` is the `--labels` file, with --overwrite",
        "Error: --report labels.json: that is the input labels.json; refusing to write over it",
        argv=(
            "export-tflite",
            "model.keras",
            "-o",
            "new.tflite",
            "--labels",
            "labels.json",
            "--report",
            "labels.json",
            "--overwrite",
        ),
        unchanged=("labels.json",),
        absent=("new.tflite",),
    ),
    Case(
        "export-report-extension",
        "export-tflite",
        "`--report` does not end in .json",
        "Error: --report report.txt: the file written is .json; name it so",
        argv=("export-tflite", "model.keras", "-o", "new.tflite", "--report", "report.txt"),
        absent=("new.tflite",),
    ),
    Case(
        "export-unwritable-folder",
        "export-tflite",
        "`-o` in a folder that refuses new files (/sys)",
        "Error: --output /sys/new.tflite: cannot write to folder /sys (Permission denied)",
        argv=("export-tflite", "model.keras", "-o", "/sys/new.tflite"),
    ),
    Case(
        "export-parent-is-file",
        "export-tflite",
        "`-o` under a path that is a file",
        "Error: --output labels.txt/new.tflite: cannot write there, */labels.txt is a file, not a folder",
        argv=("export-tflite", "model.keras", "-o", "labels.txt/new.tflite"),
        unchanged=("labels.txt",),
    ),
    Case(
        "export-output-is-folder",
        "export-tflite",
        "`-o` is a folder",
        "Error: Invalid value for '--output' / '-o': File 'folder.tflite' is a directory.",
        argv=("export-tflite", "model.keras", "-o", "folder.tflite"),
        exit_code=2,
    ),
    Case(
        "convert-existing-output",
        "convert-checkpoint",
        "`--output` exists, no --overwrite",
        "Error: --output model.keras: exists; pass --overwrite to replace it",
        argv=("convert-checkpoint", "good.pth", "--preset", "vfl_net_nano", "--output", "model.keras"),
        unchanged=("model.keras",),
    ),
    Case(
        "convert-onto-checkpoint",
        "convert-checkpoint",
        "`--output` is the checkpoint itself, --overwrite",
        "Error: --output good.pth: the file written is .keras; name it so",
        argv=("convert-checkpoint", "good.pth", "--preset", "vfl_net_nano", "--output", "good.pth", "--overwrite"),
        unchanged=("good.pth",),
    ),
    Case(
        "evaluate-existing-report",
        "evaluate",
        "`--output` folder holds an evaluation.json",
        "Error: --output eval/evaluation.json: exists; pass --overwrite to replace it",
        argv=("evaluate", "model.keras", "--dataset", "hmdb51", "--data-root", "data", "--output", "eval"),
        unchanged=("eval/evaluation.json",),
    ),
    Case(
        "cache-teacher-extension",
        "cache-teacher",
        "`--output` does not end in .npz",
        "Error: --output teacher.keras: the file written is .npz; name it so",
        argv=(
            "cache-teacher",
            "model.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--output",
            "teacher.keras",
        ),
    ),
    Case(
        "cache-teacher-existing",
        "cache-teacher",
        "`--output` .npz exists, no --overwrite",
        "Error: --output existing.npz: exists; pass --overwrite to replace it",
        argv=("cache-teacher", "model.keras", "--dataset", "hmdb51", "--data-root", "data", "--output", "existing.npz"),
        unchanged=("existing.npz",),
    ),
    Case(
        "benchmark-existing-csv",
        "benchmark",
        "`--csv` exists, no --overwrite",
        "Error: --csv existing.csv: exists; pass --overwrite to replace it",
        argv=("benchmark", "model.tflite", "--csv", "existing.csv"),
        unchanged=("existing.csv",),
    ),
    Case(
        "benchmark-json-is-model",
        "benchmark",
        "`--save-json` is the model file",
        "Error: --save-json model.tflite: the file written is .json; name it so",
        argv=("benchmark", "model.tflite", "--save-json", "model.tflite", "--overwrite"),
        unchanged=("model.tflite",),
    ),
    Case(
        "synthetic-foreign-folder",
        "make-synthetic",
        "`--output` is a non-empty folder it did not write",
        "Error: --output foreign: folder exists and was not written by dvfl-tf (no synthetic.json); "
        "choose another folder",
        argv=("make-synthetic", "--output", "foreign"),
        unchanged_dirs=("foreign",),
    ),
    Case(
        "prepare-foreign-folder",
        "prepare",
        "`--output` is a non-empty folder that is not a cache",
        "Error: --output foreign: folder exists and was not written by dvfl-tf (no manifest.json); "
        "choose another folder",
        argv=("prepare", "--dataset", "hmdb51", "--data-root", "data", "--output", "foreign"),
        unchanged_dirs=("foreign",),
    ),
    Case(
        "prepare-into-dataset",
        "prepare",
        "`--output` is the dataset's own folder",
        "Error: --output data: that is the input data; choose another folder",
        argv=("prepare", "--dataset", "hmdb51", "--data-root", "data", "--output", "data"),
        unchanged_dirs=("data",),
    ),
    # --- damaged model files ---------------------------------------------------------------------
    Case(
        "keras-truncated",
        "export-tflite",
        "a .keras file cut in half",
        "Error: truncated.keras: not a .keras model (not a zip archive: truncated or corrupt)",
        argv=("export-tflite", "truncated.keras", "-o", "new.tflite"),
        absent=("new.tflite",),
    ),
    Case(
        "keras-random",
        "evaluate",
        "a .keras file of random bytes",
        "Error: random.keras: not a .keras model (not a zip archive: truncated or corrupt)",
        argv=("evaluate", "random.keras", "--dataset", "hmdb51", "--data-root", "data", "--output", "ev"),
    ),
    Case(
        "keras-empty",
        "predict",
        "a 0-byte .keras file",
        "Error: empty.keras: the model file is empty (0 bytes)",
        argv=("predict", "clip.avi", "--model", "empty.keras"),
    ),
    Case(
        "keras-not-keras-zip",
        "export-tflite",
        "a zip archive that is no Keras model",
        "Error: notkeras.keras: not a .keras model (the archive has no config.json)",
        argv=("export-tflite", "notkeras.keras", "-o", "new.tflite"),
    ),
    Case(
        "keras-bad-weights",
        "predict",
        "a whole .keras archive whose weights file is garbage",
        "Error: badweights.keras: cannot load the .keras model (*)",
        argv=("predict", "clip.avi", "--model", "badweights.keras"),
    ),
    Case(
        "keras-missing",
        "export-tflite",
        "the model file does not exist",
        "Error: missing.keras: no such model file",
        argv=("export-tflite", "missing.keras", "-o", "new.tflite"),
    ),
    Case(
        "train-small-split",
        "train",
        "the training split holds fewer videos than one batch",
        "Error: The training split has 4 videos, fewer than one batch. Received: batch_size=8",
        argv=(
            "train",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--image-size",
            "32",
            "--num-frames",
            "4",
            "--output",
            "run",
        ),
    ),
    Case(
        "train-truncated-student",
        "train",
        "`--model` is a truncated .keras",
        "Error: truncated.keras: not a .keras model (not a zip archive: truncated or corrupt)",
        argv=(
            "train",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--model",
            "truncated.keras",
            "--batch-size",
            "2",
            "--output",
            "run",
        ),
    ),
    Case(
        "tflite-truncated",
        "predict",
        "a .tflite file cut in half",
        "Error: truncated.tflite: damaged .tflite model (*)",
        argv=("predict", "clip.avi", "--model", "truncated.tflite"),
    ),
    Case(
        "tflite-random",
        "predict",
        "a .tflite file of random bytes",
        "Error: random.tflite: not a .tflite model (no TFL3 flatbuffer identifier)",
        argv=("predict", "clip.avi", "--model", "random.tflite"),
    ),
    Case(
        "tflite-truncated-evaluate",
        "evaluate",
        "a truncated .tflite file",
        "Error: truncated.tflite: damaged .tflite model (*)",
        argv=("evaluate", "truncated.tflite", "--dataset", "hmdb51", "--data-root", "data", "--output", "ev"),
    ),
    Case(
        "predict-unknown-format",
        "predict",
        "`--model` is neither .keras nor .tflite",
        "Error: --model must be a .tflite or .keras file. Received: labels.txt",
        argv=("predict", "clip.avi", "--model", "labels.txt"),
        exit_code=2,
    ),
    Case(
        "predict-corrupt-video",
        "predict",
        "the video is random bytes",
        "Error: corrupt.avi: *",
        argv=("predict", "corrupt.avi", "--model", "model.tflite"),
    ),
    # --- checkpoints -----------------------------------------------------------------------------
    Case(
        "pth-random",
        "convert-checkpoint",
        "a .pth file of random bytes",
        "Error: random.pth: not a checkpoint (neither a PyTorch .pth, i.e. a torch zip archive or a pickle, "
        "nor a .safetensors file)",
        argv=("convert-checkpoint", "random.pth", "--preset", "vfl_net_nano", "--output", "new.keras"),
        absent=("new.keras",),
    ),
    Case(
        "pth-truncated",
        "convert-checkpoint",
        "a .pth file cut in half",
        "Error: truncated.pth: damaged PyTorch checkpoint (the zip archive is truncated or corrupt)",
        argv=("convert-checkpoint", "truncated.pth", "--preset", "vfl_net_nano", "--output", "new.keras"),
    ),
    Case(
        "pth-zip-not-torch",
        "convert-checkpoint",
        "a zip archive without torch's data.pkl",
        "Error: nopickle.pth: not a PyTorch checkpoint (a zip archive without data.pkl)",
        argv=("convert-checkpoint", "nopickle.pth", "--preset", "vfl_net_nano", "--output", "new.keras"),
    ),
    Case(
        "pth-needs-code",
        "convert-checkpoint",
        "a checkpoint that pickles Python objects (argparse.Namespace)",
        "Error: needs_code.pth: a checkpoint that needs code execution to load: it holds Python objects "
        "(argparse.Namespace) besides tensors. If you trust the file, pass --trust-checkpoint.",
        argv=("convert-checkpoint", "needs_code.pth", "--preset", "vfl_net_nano", "--output", "new.keras"),
    ),
    Case(
        "pth-needs-code-train",
        "train",
        "the same checkpoint as `--init-checkpoint` (train has no trust flag)",
        "Error: needs_code.pth: a checkpoint that needs code execution to load: it holds Python objects "
        "(argparse.Namespace) besides tensors. If you trust the file, convert it with "
        "`dvfl-tf convert-checkpoint --trust-checkpoint` first.",
        argv=(
            "train",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--model",
            "vfl_net_nano",
            "--image-size",
            "32",
            "--num-frames",
            "4",
            "--batch-size",
            "2",
            "--init-checkpoint",
            "needs_code.pth",
            "--output",
            "run",
        ),
    ),
    Case(
        "pth-random-teacher",
        "distill",
        "`--teacher` is a .pth of random bytes",
        "Error: random.pth: not a checkpoint (neither a PyTorch .pth, i.e. a torch zip archive or a pickle, "
        "nor a .safetensors file)",
        argv=(
            "distill",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--teacher",
            "random.pth",
            "--teacher-preset",
            "vfl_net_nano",
            "--student",
            "vfl_net_nano",
            "--image-size",
            "32",
            "--num-frames",
            "4",
            "--batch-size",
            "2",
            "--output",
            "run",
        ),
    ),
    Case(
        "teacher-cache-random",
        "distill",
        "`--teacher-logits` is random bytes",
        "Error: random.npz: not a teacher-logit cache (write one with dvfl-tf cache-teacher; *)",
        argv=("distill", "--teacher-logits", "random.npz", "--output", "run"),
    ),
    Case(
        "teacher-cache-other-npz",
        "distill",
        "`--teacher-logits` is some other NumPy archive",
        "Error: other.npz: not a teacher-logit cache (write one with dvfl-tf cache-teacher; *)",
        argv=("distill", "--teacher-logits", "other.npz", "--output", "run"),
    ),
    Case(
        "safetensors-truncated",
        "convert-checkpoint",
        "a .safetensors file cut short",
        "Error: truncated.safetensors: damaged .safetensors checkpoint (*)",
        argv=("convert-checkpoint", "truncated.safetensors", "--preset", "vfl_net_nano", "--output", "new.keras"),
        absent=("new.keras",),
    ),
    Case(
        "safetensors-random",
        "convert-checkpoint",
        "a .safetensors file of random bytes",
        "Error: random.safetensors: not a checkpoint (neither a PyTorch .pth, i.e. a torch zip archive or a pickle, "
        "nor a .safetensors file)",
        argv=("convert-checkpoint", "random.safetensors", "--preset", "vfl_net_nano", "--output", "new.keras"),
    ),
    Case(
        "atomic-sigkill",
        "every model/state write",
        "the process is SIGKILLed in the middle of a save",
        "(the previous file stays whole)",
        test="tests/reliability/test_reliability_io_safety.py::"
        "test_sigkill_during_an_atomic_write_leaves_the_previous_file_whole",
    ),
    Case(
        "debug-traceback",
        "any",
        "`--debug` on a user error",
        "the Python traceback instead of one line",
        test="tests/reliability/test_reliability_process.py::test_debug_shows_the_traceback_of_a_user_error",
    ),
    # --- labels files ----------------------------------------------------------------------------
    Case(
        "labels-wrong-count-tflite",
        "predict",
        "`--labels` has 2 names for a 3-class model",
        "Error: labels.txt: 2 class names for a model with 3 outputs",
        argv=("predict", "clip.avi", "--model", "model.tflite", "--labels", "labels.txt"),
    ),
    Case(
        "labels-wrong-count-export",
        "export-tflite",
        "`--labels` has 2 names for a 3-class model",
        "Error: labels.txt: 2 class names for a model with 3 outputs",
        argv=("export-tflite", "model.keras", "-o", "new.tflite", "--labels", "labels.txt"),
        absent=("new.tflite",),
    ),
    Case(
        "labels-binary",
        "predict",
        "`--labels` is a binary file",
        "Error: binary.txt: not a labels file (binary, not UTF-8 text)",
        argv=("predict", "clip.avi", "--model", "model.keras", "--labels", "binary.txt"),
    ),
    Case(
        "labels-bad-json",
        "export-tflite",
        "`--labels` is broken JSON",
        "Error: badjson.json: not valid JSON (*)",
        argv=("export-tflite", "model.keras", "-o", "new.tflite", "--labels", "badjson.json"),
    ),
    Case(
        "labels-empty",
        "predict",
        "`--labels` holds no names",
        "Error: empty_labels.txt: no class names in the file",
        argv=("predict", "clip.avi", "--model", "model.tflite", "--labels", "empty_labels.txt"),
    ),
    # --- data and option combinations -----------------------------------------------------------
    Case(
        "data-root-missing",
        "check-data",
        "`--data-root` does not exist",
        "Error: Data root of 'hmdb51' not found: expected a folder at */nowhere",
        argv=("check-data", "--dataset", "hmdb51", "--data-root", "nowhere"),
    ),
    Case(
        "multi-worker-word-in-a-path",
        "train",
        "an `--output` whose name holds `multi_worker`, without `--strategy multi_worker` (not a multi-worker run)",
        "Error: Data root of 'hmdb51' not found: expected a folder at */nowhere",
        argv=("train", "--dataset", "hmdb51", "--data-root", "nowhere", "--output", "multi_worker_run"),
        absent=("multi_worker_run",),
    ),
    Case(
        "predict-missing-video",
        "predict",
        "the video does not exist",
        "Error: No such video file: missing.avi",
        argv=("predict", "missing.avi", "--model", "model.tflite"),
        exit_code=2,
    ),
    Case(
        "overrides-bad-json",
        "train",
        "`--backbone-overrides` is not JSON",
        "Error: Invalid value for --backbone-overrides: not valid JSON (*)",
        argv=("train", "--backbone-overrides", "{depths", "--output", "run"),
        exit_code=2,
        absent=("run",),
    ),
    Case(
        "views-format",
        "evaluate",
        "`--views 4` (no crops)",
        _range("--views", "expected CLIPSxCROPS such as 4x3. Received: '4'"),
        argv=("evaluate", "model.keras", "--views", "4"),
        exit_code=2,
    ),
    Case(
        "uint8-without-int8",
        "export-tflite",
        "`--uint8-io` on a float export",
        "Error: --uint8-io needs --int8.",
        argv=("export-tflite", "model.keras", "--uint8-io", "-o", "new.tflite"),
        exit_code=2,
    ),
    # --- runs: folders, non-finite weights, data, extension (issue 12 part B) ---------------------
    Case(
        "run-foreign-folder",
        "train",
        "`--output` is a non-empty folder that is not a run (a `backup/`, a `history.csv`)",
        "Error: --output …: is not empty and is not a dvfl-tf run folder (it has no .dvfl-tf-run); nothing was written to it. Choose a new or empty folder.",
        test="tests/training/test_training_reliability.py::test_foreign_folder_is_refused_and_left_unchanged",
    ),
    Case(
        "run-rejected-start",
        "train",
        "the model's classes differ from the data's; the corrected command follows",
        "Error: … (nothing written; the corrected command then runs in the same --output)",
        test="tests/training/test_training_reliability.py::test_rejected_start_writes_nothing_then_the_corrected_command_runs_and_extends",
    ),
    Case(
        "run-smaller-epochs",
        "train",
        "a finished run started again with a smaller `--epochs`",
        "Error: … holds a run of 2 epochs; --epochs 1 is not larger. Give a larger --epochs to extend it, or choose another --output.",
        test="tests/training/test_training_reliability.py::test_rejected_start_writes_nothing_then_the_corrected_command_runs_and_extends",
    ),
    Case(
        "run-extend",
        "train",
        "a finished run started again with a larger `--epochs` (not an error)",
        "Extending … from 1 to 2 epochs (the schedule change is recorded in config.json). / Resuming … from epoch 2 of 2",
        exit_code=0,
        test="tests/training/test_training_reliability.py::test_rejected_start_writes_nothing_then_the_corrected_command_runs_and_extends",
    ),
    Case(
        "run-nan-loss",
        "train",
        "a learning rate that makes the loss NaN (`--lr 1e35`)",
        "The loss became nan at epoch 2, batch 1: training stopped; last.keras and best.keras in … hold epoch 1, the last finite one …",
        test="tests/training/test_training_reliability.py::test_nan_stop_keeps_the_last_finite_epoch_and_the_same_command_resumes_without_duplicate_rows",
    ),
    Case(
        "run-nan-again",
        "train",
        "the same command again after a NaN stop",
        "Resuming … from epoch 2 of 4: epochs 1-1 are done (the last finite epoch; the previous attempt stopped on a non-finite loss).",
        test="tests/training/test_training_reliability.py::test_nan_stop_keeps_the_last_finite_epoch_and_the_same_command_resumes_without_duplicate_rows",
    ),
    Case(
        "predict-nan-weights",
        "predict",
        "a `.keras` model whose weights hold NaN",
        "Error: …: the model's weights are not finite (NaN or inf), so it cannot be used; …",
        test="tests/training/test_training_reliability.py::test_nan_stop_keeps_the_last_finite_epoch_and_the_same_command_resumes_without_duplicate_rows",
    ),
    Case(
        "evaluate-nan-weights",
        "evaluate",
        "a `.keras` model whose weights hold NaN",
        "Error: …: the model's weights are not finite (NaN or inf), so it cannot be used; …",
        test="tests/training/test_training_reliability.py::test_nan_stop_keeps_the_last_finite_epoch_and_the_same_command_resumes_without_duplicate_rows",
    ),
    Case(
        "run-data-problems",
        "train",
        "a missing, an unreadable and an unparsable split entry; a class without training videos",
        "Error: The train split has no usable video of 1 class(es): …. Fix the data (dvfl-tf check-data lists the problems), or pass --allow-empty-classes to train anyway.",
        test="tests/training/test_training_reliability.py::test_data_problems_are_summarised_and_an_empty_training_class_is_refused",
    ),
    Case(
        "run-sigkill-save",
        "train",
        "SIGKILL while last.keras or the backup is being saved",
        "(nothing: last.keras and the backup stay whole; the same command resumes)",
        exit_code=0,
        test="tests/training/test_training_reliability.py::test_sigkill_during_a_save_leaves_whole_files_and_the_same_command_finishes",
    ),
    Case(
        "runtime-numpy2",
        "predict",
        "tflite-runtime 2.14 (built for NumPy 1) under NumPy 2, no ai-edge-litert",
        "Error: tflite-runtime 2.14.0 was built for NumPy 1.x, but NumPy 2.… is installed: …. Install ai-edge-litert (pip install ai-edge-litert; preferred, and faster), or keep tflite-runtime with NumPy 1 (pip install 'numpy<2').",
        test="tests/export/test_fallback_runtime.py::test_tflite_runtime_under_numpy2_is_detected_with_what_to_install",
    ),
    # --- option values, checked when the command line is parsed -----------------------------------
    Case(
        "range-alpha",
        "distill",
        "`--alpha 2`",
        _range("--alpha", "2.0 is not in the range 0.0<=x<=1.0."),
        argv=("distill", "--alpha", "2", "--teacher", "model.keras", "--output", "run"),
        exit_code=2,
        absent=("run",),
    ),
    Case(
        "range-lr-nan",
        "train",
        "`--lr nan`",
        _range("--lr", "'nan' is not a finite number."),
        argv=("train", "--lr", "nan", "--output", "run"),
        exit_code=2,
        absent=("run",),
    ),
    Case(
        "range-epochs",
        "train",
        "`--epochs 0`",
        _range("--epochs", "0 is not in the range x>=1."),
        argv=("train", "--epochs", "0", "--output", "run"),
        exit_code=2,
        absent=("run",),
    ),
    Case(
        "range-temperature",
        "distill",
        "`--temperature 0`",
        _range("--temperature", "0.0 is not in the range x>0.0."),
        argv=("distill", "--temperature", "0", "--teacher", "model.keras", "--output", "run"),
        exit_code=2,
    ),
    Case(
        "range-batch-size",
        "evaluate",
        "`--batch-size 0`",
        _range("--batch-size", "0 is not in the range x>=1."),
        argv=("evaluate", "model.keras", "--batch-size", "0"),
        exit_code=2,
    ),
    Case(
        "range-views",
        "evaluate",
        "`--views 0x3`",
        _range("--views", "clips and crops must be at least 1. Received: '0x3'"),
        argv=("evaluate", "model.keras", "--views", "0x3"),
        exit_code=2,
    ),
    Case(
        "range-top-k",
        "predict",
        "`--top-k 0`",
        _range("--top-k", "0 is not in the range x>=1."),
        argv=("predict", "clip.avi", "--model", "model.tflite", "--top-k", "0"),
        exit_code=2,
    ),
    Case(
        "range-calibration",
        "export-tflite",
        "`--num-calibration 0`",
        _range("--num-calibration", "0 is not in the range x>=1."),
        argv=("export-tflite", "model.keras", "--int8", "--num-calibration", "0", "-o", "new.tflite"),
        exit_code=2,
    ),
    Case(
        "range-num-classes",
        "convert-checkpoint",
        "`--num-classes 0`",
        _range("--num-classes", "0 is not in the range x>=1."),
        argv=(
            "convert-checkpoint",
            "good.pth",
            "--preset",
            "vfl_net_nano",
            "--num-classes",
            "0",
            "--output",
            "n.keras",
        ),
        exit_code=2,
    ),
    Case(
        "range-synthetic-classes",
        "make-synthetic",
        "`--num-classes 1`",
        _range("--num-classes", "1 is not in the range 2<=x<=26."),
        argv=("make-synthetic", "--output", "syn", "--num-classes", "1"),
        exit_code=2,
        absent=("syn",),
    ),
    Case(
        "range-quality",
        "prepare",
        "`--quality 101`",
        _range("--quality", "101 is not in the range 0<=x<=100."),
        argv=("prepare", "--dataset", "hmdb51", "--data-root", "data", "--output", "cache", "--quality", "101"),
        exit_code=2,
        absent=("cache",),
    ),
    Case(
        "range-drop-path",
        "train",
        "`--drop-path-rate 1`",
        _range("--drop-path-rate", "1.0 is not in the range 0.0<=x<1.0."),
        argv=("train", "--drop-path-rate", "1", "--output", "run"),
        exit_code=2,
    ),
    Case(
        "range-split",
        "check-data",
        "`--split 0`",
        _range("--split", "0 is not in the range x>=1."),
        argv=("check-data", "--dataset", "hmdb51", "--data-root", "data", "--split", "0"),
        exit_code=2,
    ),
    Case(
        "range-profile-frames",
        "profile",
        "`--frames -4`",
        _range("--frames", "-4 is not in the range x>=1."),
        argv=("profile", "--preset", "vfl_net_nano", "--frames", "-4"),
        exit_code=2,
    ),
    # --- multi-worker start-up: TF_CONFIG checked before anything starts, bounded wait, prompt stop ----------
    Case(
        "multi-worker-no-tf-config",
        "distill",
        "`--strategy multi_worker` without TF_CONFIG",
        "Error: --strategy multi_worker needs TF_CONFIG (the cluster's addresses and this worker's task); it is not "
        "set. On one machine, use --strategy auto or mirrored.",
        argv=("distill", "--teacher", "model.keras", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", None),),
        absent=("run",),
    ),
    Case(
        "multi-worker-tf-config-json",
        "distill",
        "TF_CONFIG is not valid JSON (a missing comma)",
        "Error: TF_CONFIG: not valid JSON (Expecting ',' delimiter: *).",
        argv=("distill", "--teacher", "model.keras", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1" "127.0.0.1:2"]}}'),),
        absent=("run",),
    ),
    Case(
        "multi-worker-index",
        "train",
        "TF_CONFIG's task index is outside the cluster",
        "Error: TF_CONFIG: task index 2 is outside the 2 worker address(es) (0..1).",
        argv=("train", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", _tf_config(["127.0.0.1:1", "127.0.0.1:2"], "worker", 2)),),
        absent=("run",),
    ),
    Case(
        "multi-worker-address",
        "train",
        "a TF_CONFIG address without a port",
        "Error: TF_CONFIG: worker 1 address '127.0.0.1' is not \"host:port\".",
        argv=("train", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", _tf_config(["127.0.0.1:1", "127.0.0.1"], "worker", 0)),),
        absent=("run",),
    ),
    Case(
        "multi-worker-task-type",
        "train",
        "TF_CONFIG's task type is not a job of the cluster",
        "Error: TF_CONFIG: task type 'ps' is not a job of \"cluster\" (worker); multi-worker training uses "
        '"chief" and "worker".',
        argv=("train", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", _tf_config(["127.0.0.1:1", "127.0.0.1:2"], "ps", 0)),),
        absent=("run",),
    ),
    Case(
        "multi-worker-duplicate",
        "train",
        "TF_CONFIG lists one address twice",
        "Error: TF_CONFIG: address 127.0.0.1:1 is listed twice.",
        argv=("train", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", _tf_config(["127.0.0.1:1", "127.0.0.1:1"], "worker", 0)),),
        absent=("run",),
    ),
    Case(
        "multi-worker-no-task",
        "train",
        'TF_CONFIG without a "task"',
        'Error: TF_CONFIG: needs a "task" object with "type" and "index", e.g. {"type": "worker", "index": 0}.',
        argv=("train", "--strategy", "multi_worker", "--output", "run"),
        env=(("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1"]}}'),),
        absent=("run",),
    ),
    Case(
        "peer-timeout-without-multi-worker",
        "train",
        "`--peer-timeout` without `--strategy multi_worker` (it would be ignored)",
        "Error: --peer-timeout applies to --strategy multi_worker only.",
        argv=("train", "--peer-timeout", "5", "--output", "run"),
        exit_code=2,
        absent=("run",),
    ),
    Case(
        "multi-worker-peer-never-comes",
        "distill",
        "`--strategy multi_worker`, the other worker of TF_CONFIG never starts",
        "Waiting for worker 1 (…) of TF_CONFIG: 10 s of 12 s. / Error: --peer-timeout 12: worker 1 (…) of TF_CONFIG "
        "did not answer within 12 s; start it (the same command, its own TF_CONFIG task) or correct its address.",
        test="tests/reliability/test_reliability_multi_worker_start.py::"
        "test_a_worker_whose_peer_never_comes_exits_with_one_line_within_the_bound",
    ),
    Case(
        "multi-worker-sigterm-waiting",
        "distill",
        "SIGTERM or SIGINT while a worker waits for its peers",
        "Error: stopped by SIGTERM; the run folder (if any) resumes when the same command is run again. (within 10 s)",
        test="tests/reliability/test_reliability_multi_worker_start.py::test_a_signal_ends_a_waiting_worker_within_10_seconds",
    ),
    Case(
        "multi-worker-sigterm-in-tensorflow",
        "distill",
        "SIGTERM while TensorFlow's multi-worker set-up waits in C++ for a peer whose port answers but never "
        "speaks gRPC",
        "Error: stopped by SIGTERM; the run folder (if any) resumes when the same command is run again. (within 10 s)",
        test="tests/reliability/test_reliability_multi_worker_start.py::"
        "test_sigterm_ends_a_worker_held_inside_tensorflow_within_10_seconds",
    ),
    # --- writers honour the write rules -------------------------------------------------------------------
    Case(
        "synthetic-other-options",
        "make-synthetic",
        "`--output` holds a synthetic dataset made with other options (2 classes; 3 asked)",
        "Error: --output data: holds a synthetic dataset made with other options (num_classes 2, not 3); pass "
        "--overwrite to make it again with these, or choose another folder",
        argv=("make-synthetic", "--output", "data", "--num-classes", "3"),
        unchanged=("data/synthetic.json",),
        unchanged_dirs=("data",),
    ),
    Case(
        "synthetic-overwrite",
        "make-synthetic",
        'the same with `--overwrite` (not an error): made again, then "ready"',
        "synthetic dataset ready: … (synthetic.json now says 4 classes)",
        exit_code=0,
        test="tests/data/test_data_cli_and_synthetic.py::"
        "test_make_synthetic_refuses_a_dataset_made_with_other_options_unless_overwrite",
    ),
    Case(
        "save-to-preset-own-files",
        "save_to_preset",
        "the folder holds the user's own config.json, weights and notes, or an earlier preset",
        "PresetError: …: folder holds files; pass overwrite=True to replace them.",
        test="dvfl_tf/models/video_focalnet/video_focalnet_presets_registry_test.py::"
        "test_save_to_preset_refuses_a_folder_holding_files_unless_overwrite",
    ),
    # --- sizes bounded, options that conflict with the model refused ------------------------------------
    Case(
        "evaluate-views-huge",
        "evaluate",
        "`--views 100000x3` (every view of a video is held in memory at once)",
        _range(
            "--views",
            "at most 10 clips (each video's views are held in memory at once), and 1 or 3 crops. Received: '100000x3'",
        ),
        argv=("evaluate", "model.keras", "--dataset", "hmdb51", "--data-root", "data", "--views", "100000x3"),
        exit_code=2,
    ),
    Case(
        "evaluate-views-crops",
        "evaluate",
        "`--views 4x2` (only 1 or 3 crops exist)",
        _range(
            "--views",
            "at most 10 clips (each video's views are held in memory at once), and 1 or 3 crops. Received: '4x2'",
        ),
        argv=("evaluate", "model.keras", "--dataset", "hmdb51", "--data-root", "data", "--views", "4x2"),
        exit_code=2,
    ),
    Case(
        "cache-teacher-views-huge",
        "cache-teacher",
        "`--views 11x3`",
        _range(
            "--views",
            "at most 10 clips (each video's views are held in memory at once), and 1 or 3 crops. Received: '11x3'",
        ),
        argv=(
            "cache-teacher",
            "model.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--views",
            "11x3",
            "--output",
            "t.npz",
        ),
        exit_code=2,
        absent=("t.npz",),
    ),
    Case(
        "evaluate-num-frames-differ",
        "evaluate",
        "`--num-frames 8` for a model of 2-frame clips",
        "Error: --num-frames 8: model.keras takes clips of 2 frames of 16x16; leave --num-frames out (the model's "
        "value applies), or evaluate a model made for 8.",
        argv=(
            "evaluate",
            "model.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--num-frames",
            "8",
            "--output",
            "ev",
        ),
        absent=("ev",),
    ),
    Case(
        "evaluate-image-size-differ",
        "evaluate",
        "`--image-size 32` for a model of 16x16 frames",
        "Error: --image-size 32: model.keras takes clips of 2 frames of 16x16; leave --image-size out (the model's "
        "value applies), or evaluate a model made for 32.",
        argv=(
            "evaluate",
            "model.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--image-size",
            "32",
            "--output",
            "ev",
        ),
        absent=("ev",),
    ),
    Case(
        "evaluate-tflite-num-frames-differ",
        "evaluate",
        "`--num-frames 4` for a .tflite file of 2-frame clips",
        "Error: --num-frames 4: model.tflite takes clips of 2 frames of 16x16; leave --num-frames out (the model's "
        "value applies), or evaluate a model made for 4.",
        argv=(
            "evaluate",
            "model.tflite",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--num-frames",
            "4",
            "--output",
            "ev",
        ),
        absent=("ev",),
    ),
    # --- presets: our own line, with a close match -------------------------------------------------------
    Case(
        "train-mistyped-preset",
        "train",
        "`--model vfl_net_nan` (a typo), no `--image-size`",
        "Error: Unknown preset 'vfl_net_nan'; did you mean 'vfl_net_nano'? Built-in presets: vfl_net_mobile, "
        "vfl_net_mobile_int8, vfl_net_nano, video_focalnet_base, video_focalnet_small, video_focalnet_tiny "
        "(or a .keras file).",
        argv=("train", "--model", "vfl_net_nan", "--output", "run"),
        absent=("run",),
    ),
    Case(
        "distill-mistyped-student",
        "distill",
        "`--student video_focalnet_tiy`",
        "Error: Unknown preset 'video_focalnet_tiy'; did you mean 'video_focalnet_tiny'? Built-in presets: *",
        argv=("distill", "--teacher", "model.keras", "--student", "video_focalnet_tiy", "--output", "run"),
        absent=("run",),
    ),
    Case(
        "train-unknown-model",
        "train",
        "`--model resnet50` (nothing close)",
        "Error: Unknown preset 'resnet50'. Built-in presets: vfl_net_mobile, vfl_net_mobile_int8, vfl_net_nano, "
        "video_focalnet_base, video_focalnet_small, video_focalnet_tiny (or a .keras file).",
        argv=("train", "--model", "resnet50", "--output", "run"),
        absent=("run",),
    ),
    Case(
        "export-mistyped-preset",
        "export-tflite",
        "`--preset vfl_net_nan`",
        "Error: Unknown preset 'vfl_net_nan'; did you mean 'vfl_net_nano'? Built-in presets: *",
        argv=("export-tflite", "--preset", "vfl_net_nan", "--num-classes", "3", "-o", "new.tflite"),
        exit_code=2,
        absent=("new.tflite",),
    ),
    Case(
        "from-preset-unknown",
        "from_preset",
        '`VideoFocalNetClassifier.from_preset("vfl_net_nan")` (and the backbone\'s)',
        "PresetError: Unknown preset 'vfl_net_nan'; did you mean 'vfl_net_nano'? Built-in presets: … "
        "(or a folder written by save_to_preset).",
        test="dvfl_tf/models/video_focalnet/video_focalnet_presets_registry_test.py::"
        "test_unknown_preset_name_is_one_line_with_a_close_match",
    ),
    Case(
        "from-preset-damaged",
        "from_preset",
        "a preset folder with a truncated or garbage model.weights.h5, task.weights.h5, task.json, config.json "
        "or preprocessor.json",
        "PresetError: …/model.weights.h5: damaged preset weights file, truncated or corrupt (…).",
        test="dvfl_tf/models/video_focalnet/video_focalnet_presets_registry_test.py::"
        "test_damaged_preset_file_is_named_in_one_line",
    ),
    Case(
        "presets-listed",
        "VideoFocalNetClassifier.presets",
        "keras-hub's preset listing (not an error)",
        "{'video_focalnet_tiny': …, 'vfl_net_nano': …, 'vfl_net_mobile': …} (every built-in preset)",
        exit_code=0,
        test="dvfl_tf/models/video_focalnet/video_focalnet_presets_registry_test.py::"
        "test_classifier_and_backbone_list_every_builtin_preset",
    ),
    # --- stream files -----------------------------------------------------------------------------------
    Case(
        "predict-stream-truncated",
        "predict --stream",
        "a truncated stream `.tflite`",
        "Error: truncated_stream.tflite: damaged .tflite model (*)",
        argv=("predict", "clip.avi", "--model", "truncated_stream.tflite", "--stream"),
    ),
    Case(
        "predict-stream-random",
        "predict --stream",
        "4 KB of random bytes named `.tflite`",
        "Error: random.tflite: not a .tflite model (no TFL3 flatbuffer identifier)",
        argv=("predict", "clip.avi", "--model", "random.tflite", "--stream"),
    ),
    Case(
        "predict-stream-file-without-flag",
        "predict",
        "a stream `.tflite` without `--stream`",
        "Error: stream.tflite: a stream model (export-tflite --stream), which takes frames as they arrive; run it "
        "with `dvfl-tf predict VIDEO --model ... --stream`",
        argv=("predict", "clip.avi", "--model", "stream.tflite"),
    ),
    Case(
        "evaluate-stream-file",
        "evaluate",
        "a stream `.tflite` (it takes frames, not clips)",
        "Error: stream.tflite: a stream model (export-tflite --stream), *",
        argv=("evaluate", "stream.tflite", "--dataset", "hmdb51", "--data-root", "data", "--output", "ev"),
        absent=("ev",),
    ),
    Case(
        "export-given-tflite",
        "export-tflite",
        "a valid `.tflite` given as the model to export",
        "Error: model.tflite: a .tflite model, not a .keras model; give the .keras model it was exported from",
        argv=("export-tflite", "model.tflite", "-o", "new.tflite"),
        unchanged=("model.tflite",),
        absent=("new.tflite",),
    ),
    Case(
        "predict-stream-no-camera",
        "predict --stream",
        "camera 97 (none there): OpenCV's own warnings hidden",
        "Error: Cannot open camera 97",
        argv=("predict", "97", "--model", "stream.tflite", "--stream"),
        exit_code=2,
    ),
    Case(
        "stream-class-names",
        "export-tflite --stream",
        "a causal `.keras` with class names, exported without `--labels` (not an error)",
        "predict --stream prints walk / run / jump, as the .keras model does (not class_1)",
        exit_code=0,
        test="tests/export/test_export_stream.py::"
        "test_class_names_saved_with_the_model_travel_into_the_stream_file_and_predict",
    ),
    # --- checkpoints of another architecture ---------------------------------------------------------------
    Case(
        "convert-resnet-pth",
        "convert-checkpoint",
        "a `.pth` of another architecture (ResNet names)",
        "Error: resnet.pth: not a Video-FocalNet or FocalNet checkpoint (none of its 3 tensors is a focal "
        "modulation, layers.N.blocks.M.modulation.*; it holds conv1.weight, fc.bias, fc.weight, ...)",
        argv=("convert-checkpoint", "resnet.pth", "--preset", "vfl_net_nano", "--output", "new.keras"),
        absent=("new.keras",),
    ),
    Case(
        "convert-vit-safetensors",
        "convert-checkpoint",
        "a `.safetensors` of another architecture (ViT names)",
        "Error: vit.safetensors: not a Video-FocalNet or FocalNet checkpoint (none of its 2 tensors is a focal "
        "modulation, *; it holds head.weight, patch_embed.proj.weight, ...)",
        argv=("convert-checkpoint", "vit.safetensors", "--preset", "vfl_net_nano", "--output", "new.keras"),
        absent=("new.keras",),
    ),
    Case(
        "convert-pretrained-other-architecture",
        "convert-checkpoint --pretrained",
        "a `.pth` of another architecture as a pretrained start (no advice to pass --num-classes)",
        "Error: resnet.pth: not a Video-FocalNet or FocalNet checkpoint (*)",
        argv=(
            "convert-checkpoint",
            "resnet.pth",
            "--preset",
            "vfl_net_nano",
            "--pretrained",
            "--output",
            "new.keras",
        ),
        absent=("new.keras",),
    ),
    # --- common paths, quiet: what each command prints by default, and no TensorFlow/converter/warning/OpenCV
    # lines (exit status 0; `message` is a line the output must hold) ----------------------------------------
    Case(
        "quiet-predict-tflite",
        "predict",
        "a video and a `.tflite` model (common path)",
        " *%  [jrw]*",
        argv=("predict", "clip.avi", "--model", "model.tflite", "--top-k", "1"),
        exit_code=0,
    ),
    Case(
        "quiet-predict-keras",
        "predict",
        "a video and a `.keras` model (common path)",
        " *%  [jrw]*",
        argv=("predict", "clip.avi", "--model", "model.keras", "--top-k", "1"),
        exit_code=0,
    ),
    Case(
        "quiet-predict-stream",
        "predict --stream",
        "a video and a stream `.tflite` (common path): the class names of the model",
        "frame *t=*s  [jrw]*",
        argv=("predict", "clip.avi", "--model", "stream.tflite", "--stream"),
        exit_code=0,
    ),
    Case(
        "quiet-predict-short-video",
        "predict",
        "a video of 1 frame, for a model of 2-frame clips (classified, with one line)",
        "Warning: short.avi: 1 frame(s), fewer than the 2 of the model's clip; frames are repeated to fill it, so "
        "the prediction sees less motion than the model was trained on.",
        argv=("predict", "short.avi", "--model", "model.tflite", "--top-k", "1"),
        exit_code=0,
    ),
    Case(
        "quiet-predict-image",
        "predict",
        "an image (`.jpg`), for a model of 2-frame clips (classified, with one line)",
        "Warning: frame.jpg: 1 frame(s), fewer than the 2 of the model's clip; *",
        argv=("predict", "frame.jpg", "--model", "model.keras", "--top-k", "1"),
        exit_code=0,
    ),
    Case(
        "quiet-export-int8",
        "export-tflite --int8",
        "a full-integer export (common path)",
        "new.tflite*",
        argv=("export-tflite", "model.keras", "--int8", "--num-calibration", "2", "-o", "new.tflite"),
        exit_code=0,
    ),
    Case(
        "quiet-export-int8-stream",
        "export-tflite --stream --int8",
        "an int8 stream export (common path; the converter's fully_quantize line hidden)",
        "s8.tflite: stream model, int8",
        argv=("export-tflite", "causal.keras", "--stream", "--int8", "--num-calibration", "2", "-o", "s8.tflite"),
        exit_code=0,
    ),
    Case(
        "quiet-evaluate-views",
        "evaluate",
        "a `.keras` model on its dataset with `--views 2x3` (common path)",
        "model2.keras: top-1 * (2 videos, views 2x3, dvfl-tf); report in ev",
        argv=(
            "evaluate",
            "model2.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--views",
            "2x3",
            "--output",
            "ev",
        ),
        exit_code=0,
    ),
    Case(
        "quiet-cache-teacher",
        "cache-teacher",
        "a `.keras` teacher on its dataset (common path)",
        "Teacher logits written to t.npz",
        argv=(
            "cache-teacher",
            "model2.keras",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--views",
            "1x1",
            "--output",
            "t.npz",
        ),
        exit_code=0,
    ),
    Case(
        "quiet-benchmark",
        "benchmark",
        "a `.tflite` model on this machine (common path)",
        "model.tflite *float32*host*",
        argv=("benchmark", "model.tflite", "--threads", "1"),
        exit_code=0,
    ),
    Case(
        "quiet-profile",
        "profile",
        "a preset (common path)",
        "vfl_net_mobile: 0.88M parameters, 0.20 GMACs per 8x160x160 clip",
        argv=("profile", "--preset", "vfl_net_mobile"),
        exit_code=0,
    ),
    Case(
        "quiet-check-data",
        "check-data",
        "a dataset (common path)",
        "dataset synthetic: 2 classes, 6 videos",
        argv=("check-data", "--dataset", "hmdb51", "--data-root", "data"),
        exit_code=0,
    ),
    Case(
        "quiet-make-synthetic",
        "make-synthetic",
        "a small synthetic dataset (common path)",
        "synthetic dataset ready: *",
        argv=(
            "make-synthetic",
            "--output",
            "syn",
            "--num-classes",
            "2",
            "--train-per-class",
            "1",
            "--test-per-class",
            "1",
            "--unused-per-class",
            "0",
            "--image-size",
            "16",
            "--num-frames",
            "2",
        ),
        exit_code=0,
    ),
    Case(
        "quiet-make-synthetic-again",
        "make-synthetic",
        'the same dataset asked for again (nothing made: not "ready")',
        "synthetic dataset already there, made with these options: *",
        argv=("make-synthetic", "--output", "data", "--num-classes", "2"),
        exit_code=0,
        unchanged=("data/synthetic.json",),
    ),
    Case(
        "quiet-prepare",
        "prepare",
        "a frame cache of a dataset (common path)",
        "cache */cache: 6 videos in 1 shards (0 shards were already done)",
        argv=("prepare", "--dataset", "hmdb51", "--data-root", "data", "--output", "cache"),
        exit_code=0,
    ),
    Case(
        "quiet-train",
        "train",
        "one step of a one-stage model on the dataset (common path)",
        "Run run: 1 epochs, best *; student in best.keras / last.keras.",
        argv=("train", "--dataset", "hmdb51", "--data-root", "data", *_TINY_RUN, "--output", "run"),
        exit_code=0,
    ),
    Case(
        "quiet-distill",
        "distill",
        "one step of distillation from a `.keras` teacher (common path)",
        "Run run: 1 epochs, best *; student in best.keras / last.keras.",
        argv=(
            "distill",
            "--dataset",
            "hmdb51",
            "--data-root",
            "data",
            "--teacher",
            "model2.keras",
            "--student",
            "vfl_net_nano",
            *_TINY_RUN[2:],
            "--output",
            "run",
        ),
        exit_code=0,
    ),
]

CLI_CASES = [case for case in CASES if case.argv]


def render_table(cases=CASES):
    """The markdown table of docs/reliability.md."""
    lines = ["| # | command | bad input or fault | what the user sees | backed by |", "| --- | --- | --- | --- | --- |"]
    for number, case in enumerate(cases, 1):
        message = case.message.replace("|", "\\|").replace("*", "…")
        backing = f"`{case.test}`" if case.test else f"case `{case.id}`"
        lines.append(f"| {number} | `{case.command}` | {case.fault} | `{message}` | {backing} |")
    return "\n".join(lines)


def doc_table(text):
    """The generated part of docs/reliability.md (between the markers)."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip()


def write_doc(path=DOC_PATH):
    with open(path) as f:
        text = f.read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    with open(path, "w") as f:
        f.write(text[:start] + "\n" + render_table() + "\n" + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_doc()
    else:
        print(render_table())
