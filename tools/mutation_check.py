"""Runs test subsets under faults injected at run time, and reports which subsets catch each fault.

A test counts only if it fails when the code is wrong. Each fault below is a patch applied in every Python
process of the run, subprocesses included, without editing the project: the script writes a
`sitecustomize.py` into a temporary folder and puts that folder first on PYTHONPATH, so every interpreter
that starts (pytest, its workers, the CLI processes the tests start) applies the patch when the patched
module is first imported (nothing is imported ahead of time: the TensorFlow-free runtime stays so).

    python tools/mutation_check.py                      # every fault, every subset
    python tools/mutation_check.py --fault optimizer_reversed --subset step
    python tools/mutation_check.py --list

A subset "catches" a fault when at least one of its tests fails. Exit status 1 when a subset that must
catch its fault (`must`) does not, 0 otherwise. Each run prints pytest's summary line per subset.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs `callback(module)` right after the named module is first executed, in any process.
HOOK = textwrap.dedent(
    """
    import importlib.abc
    import sys

    _AFTER_IMPORT = {}


    def after_import(name, callback):
        _AFTER_IMPORT.setdefault(name, []).append(callback)


    class _AfterImportFinder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in _AFTER_IMPORT:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            callbacks, execute = _AFTER_IMPORT.pop(name), spec.loader.exec_module

            def exec_module(module):
                execute(module)
                for callback in callbacks:
                    callback(module)

            spec.loader.exec_module = exec_module
            return spec


    sys.meta_path.insert(0, _AfterImportFinder())
    """
)

FAULTS = {
    "optimizer_reversed": (
        "every Keras optimizer step reversed (gradients negated: training climbs the loss)",
        """
        def _patch(module):
            apply = module.BaseOptimizer.apply

            def reversed_apply(self, grads, trainable_variables=None):
                if type(self).__name__ != "LossScaleOptimizer":  # its inner optimizer's apply is patched
                    grads = [None if g is None else -g for g in grads]
                return apply(self, grads, trainable_variables)

            module.BaseOptimizer.apply = reversed_apply


        after_import("keras.src.optimizers.base_optimizer", _patch)
        """,
    ),
    "int8_outputs_zeroed": (
        "every int8 output of a TFLite interpreter reads as zeros (a file that predicts nothing)",
        """
        def _patch(module):
            get_tensor = module.Interpreter.get_tensor

            def zeroed_get_tensor(self, tensor_index, *args, **kwargs):
                value = get_tensor(self, tensor_index, *args, **kwargs)
                outputs = {detail["index"] for detail in self.get_output_details()}
                if tensor_index in outputs and str(value.dtype) == "int8":
                    value = value * 0
                return value

            module.Interpreter.get_tensor = zeroed_get_tensor


        for _name in ("ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow.lite.python.interpreter"):
            after_import(_name, _patch)
        """,
    ),
    "views_averaged_wrongly": (
        "multi-view evaluation counts the first view of each video only",
        """
        def _patch(module):
            import numpy as np

            predict_dataset = module.predict_dataset

            def first_view_only(predictor, dataset, *args, **kwargs):
                def batches():
                    for clips, targets in dataset:
                        clips = np.asarray(clips)
                        yield (clips[:, :1] if clips.ndim == 6 else clips), targets

                return predict_dataset(predictor, batches(), *args, **kwargs)

            module.predict_dataset = first_view_only


        after_import("dvfl_tf.evaluation.evaluate", _patch)
        """,
    ),
    "class_names_shuffled": (
        "the runtime's class names rotated by one (each prediction gets its neighbour's label)",
        """
        def _patch(module):
            set_class_names = module.VideoClassifier._set_class_names

            def rotated(self, *args, **kwargs):
                set_class_names(self, *args, **kwargs)
                self.class_names = self.class_names[1:] + self.class_names[:1]

            module.VideoClassifier._set_class_names = rotated


        after_import("dvfl_tf.runtime.tflite_classifier", _patch)
        """,
    ),
}

# fault -> [(subset name, pytest arguments, must catch)]
SUBSETS = {
    "optimizer_reversed": [
        ("training step", ["tests/training/test_training_step_arithmetic.py"], True),
        ('-k "distill or train or loss"', ["-k", "distill or train or loss"], True),
    ],
    "int8_outputs_zeroed": [
        ("int8 export", ["tests/export/test_export_modes.py"], True),
        ("predict", ["tests/export/test_export_runtime.py"], True),
        ("evaluate", ["tests/training/test_training_cli_evaluate.py"], True),
        ("end-to-end recipe", ["tests/test_recipe_end_to_end.py"], True),
        ("stream", ["tests/export/test_export_stream.py"], False),
    ],
    "views_averaged_wrongly": [
        ("evaluate", ["tests/training/test_training_cli_evaluate.py"], True),
    ],
    "class_names_shuffled": [
        ("predict", ["tests/export/test_export_runtime.py"], True),
        ("end-to-end recipe", ["tests/test_recipe_end_to_end.py"], False),
    ],
}


def _summary(output):
    """{"failed": n, "passed": n, ...} from pytest's last summary line."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    counts = {}
    for count, word in re.findall(
        r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)", lines[-1] if lines else ""
    ):
        counts[word.rstrip("s") if word.startswith("error") else word] = int(count)
    return counts


def run_subset(fault, args, python, timeout):
    with tempfile.TemporaryDirectory(prefix="mutation_") as folder:
        with open(os.path.join(folder, "sitecustomize.py"), "w") as f:
            f.write(HOOK + textwrap.dedent(FAULTS[fault][1]))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (folder, REPO, os.environ.get("PYTHONPATH")) if p),
        }
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
        start = time.time()
        try:
            completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
            output, code = completed.stdout + completed.stderr, completed.returncode
        except subprocess.TimeoutExpired as error:
            output, code = (
                (error.stdout or b"").decode() if isinstance(error.stdout, bytes) else (error.stdout or ""),
                None,
            )
        return _summary(output), code, time.time() - start, output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", choices=sorted(FAULTS), help="only this fault (repeatable)")
    parser.add_argument("--subset", action="append", help="only subsets whose name contains this (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the faults and subsets, run nothing")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs pytest")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per subset")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--show-output", action="store_true", help="print the tail of pytest's output")
    options = parser.parse_args(argv)

    rows, missed = [], []
    for fault in options.fault or list(FAULTS):
        for name, args, must in SUBSETS[fault]:
            if options.subset and not any(part in name for part in options.subset):
                continue
            if options.list:
                print(f"{fault:<24} {name:<32} {'must catch' if must else 'reported'}: {FAULTS[fault][0]}")
                continue
            counts, code, seconds, output = run_subset(fault, args, options.python, options.timeout)
            caught = counts.get("failed", 0) + counts.get("error", 0) > 0
            verdict = "caught" if caught else ("timed out" if code is None else "MISSED")
            summary = ", ".join(f"{n} {w}" for w, n in counts.items()) or "no summary"
            print(f"{fault:<24} {name:<32} {verdict:<9} ({summary}; {seconds:.0f} s)", flush=True)
            if options.show_output:
                print(textwrap.indent(output[-3000:], "    "))
            rows.append({"fault": fault, "subset": name, "args": args, "must": must, "caught": caught, **counts})
            if must and not caught:
                missed.append(f"{fault} / {name}")
    if options.json:
        with open(options.json, "w") as f:
            json.dump(rows, f, indent=2)
    if missed:
        print("Not caught: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
