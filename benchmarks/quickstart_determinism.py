"""Is the quickstart reproducible, and what does op determinism cost? Prints figures.

Runs the quickstart pipeline (`dvfl_tf.apps.quickstart.run_quickstart`:
teacher, distilled and scratch students, int8 export, evaluation) several
times side by side, each in a fresh process, with and without
`make_deterministic`, and prints per run the accuracies, the int8 agreement,
the wall time and digests of the three models' weights and of the int8 file.
Runs of one mode that print the same digests wrote bit-identical models.

    PYTHONPATH=. python benchmarks/quickstart_determinism.py --output /tmp/qsdet \
        --teacher-epochs 4 --student-epochs 2 --runs 2

The recipes are the quickstart's with fewer epochs (the full quickstart:
--teacher-epochs 30 --student-epochs 24). Side by side, so the two modes see
the same machine load: compare the wall times as a ratio.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys

CHILD = """
import json, sys
from dvfl_tf.apps import quickstart as q
output, deterministic, teacher_epochs, student_epochs = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4])
summary = q.run_quickstart(output, deterministic=deterministic,
                           teacher_recipe={**q.TEACHER_RECIPE, "epochs": teacher_epochs},
                           student_recipe={**q.STUDENT_RECIPE, "epochs": student_epochs})
"""


def weights_digest(path):
    import zipfile

    import h5py

    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as handle:
        import io

        with h5py.File(io.BytesIO(handle.read()), "r") as weights:

            def visit(name, item):
                if isinstance(item, h5py.Dataset):
                    digest.update(name.encode())
                    digest.update(item[()].tobytes())

            weights.visititems(visit)
    return digest.hexdigest()[:16]


def file_digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def run_one(output, deterministic, teacher_epochs, student_epochs):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    with open(output + ".log", "w") as log:
        subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                output,
                "1" if deterministic else "0",
                str(teacher_epochs),
                str(student_epochs),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    with open(os.path.join(output, "quickstart.json")) as f:
        summary = json.load(f)
    seed = summary["seed"]
    summary["digests"] = {
        "teacher": weights_digest(os.path.join(output, "teacher", "last.keras")),
        "distilled": weights_digest(os.path.join(output, f"student_distilled_seed{seed}", "last.keras")),
        "scratch": weights_digest(os.path.join(output, f"student_scratch_seed{seed}", "last.keras")),
        "int8": file_digest(os.path.join(output, "student_int8.tflite")),
    }
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--teacher-epochs", type=int, default=4)
    parser.add_argument("--student-epochs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="Runs per mode.")
    parser.add_argument("--modes", default="deterministic,default")
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    jobs = [(mode, i) for mode in args.modes.split(",") for i in range(args.runs)]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        futures = {
            job: pool.submit(
                run_one,
                os.path.join(args.output, f"{job[0]}_{job[1]}"),
                job[0] == "deterministic",
                args.teacher_epochs,
                args.student_epochs,
            )
            for job in jobs
        }
        results = {job: future.result() for job, future in futures.items()}
    print(
        f"{'run':<18}{'teacher':>9}{'distilled':>10}{'scratch':>9}{'int8':>7}{'agree':>7}{'seconds':>9}"
        "  digests teacher / distilled / scratch / int8 file"
    )
    for (mode, i), summary in results.items():
        acc = summary["accuracy"]
        print(
            f"{mode + ' ' + str(i):<18}{acc['teacher']:>9.3f}{acc['student_distilled']:>10.3f}"
            f"{acc['student_scratch']:>9.3f}{acc['student_int8_tflite']:>7.3f}{summary['int8_top1_agreement']:>7.3f}"
            f"{summary['seconds']:>9.0f}  {' / '.join(summary['digests'].values())}"
        )
    for mode in args.modes.split(","):
        runs = [summary for (m, _), summary in results.items() if m == mode]
        for name in runs[0]["digests"]:
            same = all(r["digests"][name] == runs[0]["digests"][name] for r in runs)
            print(f"{mode}: {name} {'identical' if same else 'DIFFERENT'} over {len(runs)} runs")
        same = all(
            r["accuracy"] == runs[0]["accuracy"] and r["int8_top1_agreement"] == runs[0]["int8_top1_agreement"]
            for r in runs
        )
        print(f"{mode}: accuracies and agreement {'identical' if same else 'DIFFERENT'} over {len(runs)} runs")


if __name__ == "__main__":
    main()
