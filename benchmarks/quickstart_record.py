"""The quickstart over several seeds: writes a record of benchmarks/results/quickstart/.

Each run is the real command, `python -m dvfl_tf quickstart --seed S --output DIR/seedS` (what `make
quickstart` runs, seed 0), in its own process. The record holds every seed's figures, their mean and
spread (max - min), each run's wall time and the digests of its three models' weights and of its int8
file. `--repeat-seed S` runs seed S a second time and records whether the two runs were bit-identical.

    python -m benchmarks quickstart-record --output runs/quickstart_record --seeds 0 1 2

`--parallel 1` (the default) runs one quickstart at a time, so each run's time is that of `make quickstart`
on this machine; with more, the figures are the same but the times are not.

    python -m benchmarks quickstart-record --fresh-clone runs/quickstart_clone --record RECORD

times the steps a new user runs, on a fresh clone of this repository: `make install` (pip's cache as it
is) and `make quickstart` (with `--with-test`, then `make test`, which installs the test tools), and adds
them to RECORD with the load before each. The clone's quickstart is seed 0 again: the record's
`determinism` says whether its models are bit-identical to the record's seed 0 (the same CPU type writes
the same models). Run it on a quiet machine: its times are what the README states.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.quickstart_determinism import file_digest, weights_digest
from dvfl_tf.latency.cpu_features import host_cpu_features, load_average

FIGURES = ("teacher", "student_distilled", "student_scratch", "student_int8_tflite")
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "quickstart")


def run_quickstart(output, seed):
    """One `dvfl-tf quickstart` in a fresh process; its quickstart.json with the wall time and the digests."""
    started = time.time()
    with open(output + ".log", "w") as log:
        subprocess.run(
            [sys.executable, "-m", "dvfl_tf", "quickstart", "--seed", str(seed), "--output", output],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return _run_summary(output, seed, time.time() - started)


def _run_summary(output, seed, seconds):
    """A run's figures, time and the digests of its models (weights) and int8 file."""
    with open(os.path.join(output, "quickstart.json")) as f:
        summary = json.load(f)
    digests = {
        "teacher": weights_digest(os.path.join(output, "teacher", "last.keras")),
        "distilled": weights_digest(os.path.join(output, f"student_distilled_seed{seed}", "last.keras")),
        "scratch": weights_digest(os.path.join(output, f"student_scratch_seed{seed}", "last.keras")),
        "int8": file_digest(os.path.join(output, "student_int8.tflite")),
    }
    return {
        "seed": seed,
        "accuracy": summary["accuracy"],
        "int8_top1_agreement": summary["int8_top1_agreement"],
        "seconds": round(seconds, 1),
        "digests": digests,
        "quickstart_recipe": {"models": summary["models"], "recipe": summary["recipe"]},
    }


def _determinism(seed, first, again):
    """Whether two runs of one seed wrote bit-identical models and the same figures."""
    identical = first["digests"] == again["digests"] and first["accuracy"] == again["accuracy"]
    return {"runs": 2, "seed": seed, "bit_identical": identical, "digests": [first["digests"], again["digests"]]}


def summarize(seed_rows):
    """{figure: {"mean", "spread"}} over the seeds (spread = max - min)."""
    columns = {name: [row["accuracy"][name] for row in seed_rows] for name in FIGURES}
    columns["int8_top1_agreement"] = [row["int8_top1_agreement"] for row in seed_rows]
    return {
        name: {"mean": round(statistics.mean(values), 4), "spread": round(max(values) - min(values), 4)}
        for name, values in columns.items()
    }


def _commit_of(folder="."):
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not recorded"


def _record_path(record):
    """The --record path, or results/quickstart/CPU_DATE.json (CPU: the strongest int8 flag, e.g. avx2)."""
    if record:
        return record
    flags = host_cpu_features()["int8_flags"]
    tag = flags[0].lower().replace(" ", "_").replace("-", "") if flags else "cpu"
    return os.path.join(RESULTS, f"{tag}_{datetime.date.today().isoformat()}.json")


def time_fresh_clone(folder, record_path, with_test=False):
    """`make install`, `make quickstart` (and `make test`) timed on a fresh clone in `folder`; added to the record.

    The clone's quickstart is seed 0 again: its models must be bit-identical to the record's seed 0.
    """
    with open(record_path) as f:
        record = json.load(f)
    seed0 = next((row for row in record["seeds"] if row["seed"] == 0), None)
    if seed0 is None or "digests" not in seed0:
        # Checked before the clone and the ten-minute run, not after them.
        sys.exit(f"error: {record_path} has no seed 0 with digests to compare the fresh clone's models with")
    repository = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", repository, folder], check=True)
    steps = {}
    for target in ("install", "quickstart", *(["test"] if with_test else [])):
        load_before = load_average()
        started = time.time()
        with open(os.path.join(folder, f"make_{target}.log"), "w") as log:
            subprocess.run(["make", target], cwd=folder, stdout=log, stderr=subprocess.STDOUT, check=True)
        steps[target] = {"seconds": round(time.time() - started, 1), "load_average_before": load_before}
    clone_run = _run_summary(os.path.join(folder, "runs", "quickstart"), seed=0, seconds=steps["quickstart"]["seconds"])
    record["determinism"] = _determinism(0, seed0, clone_run)
    record["fresh_clone"] = {
        "commit": _commit_of(folder),
        "date": datetime.date.today().isoformat(),
        "make_install": steps["install"],
        "make_quickstart": steps["quickstart"],
        **({"make_test": steps["test"]} if with_test else {}),
    }
    with open(record_path, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(json.dumps(record["fresh_clone"], indent=2))
    if not record["determinism"]["bit_identical"]:
        sys.exit(f"error: the fresh clone's models differ from seed 0 of {record_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", help="folder for the runs (one subfolder per run)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--repeat-seed",
        type=int,
        default=None,
        help="a seed run twice here for the bit-identical check (else the fresh clone's run checks seed 0)",
    )
    parser.add_argument("--parallel", type=int, default=1, help="runs at a time (times are honest at 1 only)")
    parser.add_argument("--record", default=None, help="record path (default: results/quickstart/CPU_DATE.json)")
    parser.add_argument("--fresh-clone", help="time make install and make quickstart on a fresh clone here")
    parser.add_argument("--overwrite", action="store_true", help="replace a record already at the record path")
    parser.add_argument("--with-test", action="store_true", help="with --fresh-clone: time make test as well")
    args = parser.parse_args()
    if args.fresh_clone:
        if not args.record:
            parser.error("--fresh-clone needs --record (the record to add the times to)")
        return time_fresh_clone(args.fresh_clone, args.record, with_test=args.with_test)
    if not args.output:
        parser.error("--output is required")
    record_path = _record_path(args.record)
    if os.path.exists(record_path) and not args.overwrite:
        parser.error(f"--record {record_path} exists (a record of another run); give another path or --overwrite")
    if os.path.exists(args.output):
        sys.exit(f"error: --output {args.output} exists; give a new folder")
    os.makedirs(args.output)
    cpu = host_cpu_features()
    load_before = load_average()
    jobs = [(seed, f"seed{seed}") for seed in args.seeds]
    if args.repeat_seed is not None:
        jobs.append((args.repeat_seed, f"seed{args.repeat_seed}_again"))
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        futures = [pool.submit(run_quickstart, os.path.join(args.output, name), seed) for seed, name in jobs]
        results = [future.result() for future in futures]
    seed_rows = results[: len(args.seeds)]
    determinism = None
    if args.repeat_seed is not None:
        first = next(row for row in seed_rows if row["seed"] == args.repeat_seed)
        determinism = _determinism(args.repeat_seed, first, results[-1])
    today = datetime.date.today().isoformat()
    record = {
        "what": "dvfl-tf quickstart (make quickstart runs seed 0) on the built-in synthetic dataset: test top-1 on "
        "its 200 test videos (chance 0.125), per seed, and a second run of one seed for the bit-identical check",
        "command": "python -m benchmarks quickstart-record " + " ".join(sys.argv[1:]),
        "commit": _commit_of(),
        "date": today,
        "cpu": cpu,
        "load_average_before": load_before,
        "parallel": args.parallel,
        # What the runs ran (models and training recipe, from their quickstart.json): the README shows the
        # records of the code's current recipe only.
        "quickstart_recipe": seed_rows[0]["quickstart_recipe"],
        "seeds": [
            {key: row[key] for key in ("seed", "accuracy", "int8_top1_agreement", "seconds", "digests")}
            for row in seed_rows
        ],
        "summary": summarize(seed_rows),
        **({"determinism": determinism} if determinism else {}),
        "seconds": {"median": round(statistics.median(row["seconds"] for row in results), 1)},
    }
    os.makedirs(os.path.dirname(record_path), exist_ok=True)
    with open(record_path, "x" if not args.overwrite else "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(
        json.dumps({"summary": record["summary"], "determinism": determinism, "seconds": record["seconds"]}, indent=2)
    )
    print(f"Wrote {record_path}")


if __name__ == "__main__":
    main()
